from template_gen.cli import entry

entry()
