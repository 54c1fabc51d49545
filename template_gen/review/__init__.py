"""Change review: what a deploy would change, offline (`template-gen diff`) and against AWS
(`template-gen review`). Both produce a `ChangeReport` and print it with the same grouped view."""
