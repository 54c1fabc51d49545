"""Rules of a container service's hard memory limits (`memory_limit_mib` of the app, its sidecars and init
containers): each fits in the task's memory and is at least the container's reservation, and together
with the other containers' reservations they fit in the task (ECS refuses the task definition otherwise:
"the total amount of memory reserved for all containers within a task must be lower than the task memory
value"; a container with only a hard limit reserves that limit)."""

from __future__ import annotations

from collections.abc import Iterator

from template_gen.registry.context import ServiceContext
from template_gen.registry.models import ContainerService
from template_gen.registry.rules import Finding

XRAY_MEMORY_MIB = 256  # the X-Ray sidecar's reservation, and its hard limit when the app has one
MIN_CONTAINER_MIB = 6  # Docker 20.10 reserves at least 6 MiB per container


Reserved = tuple[tuple[str | int, ...], str, int]  # (field, which container, MiB)


def other_reservations(model: ContainerService) -> list[Reserved]:
    """The memory the task's other containers reserve: a sidecar's reservation (or its limit), an init
    container's limit, the X-Ray sidecar's reservation."""
    out: list[Reserved] = []
    for index, sidecar in enumerate(model.sidecars):
        mib = sidecar.memory_reservation if sidecar.memory_reservation is not None else sidecar.memory_limit_mib
        if mib is not None:
            out.append((("sidecars", index, "memory_limit_mib"), f"sidecar '{sidecar.name}'", mib))
    for index, init in enumerate(model.init_containers):
        if init.memory_limit_mib is not None:
            out.append(
                (("init_containers", index, "memory_limit_mib"), f"init container '{init.name}'", init.memory_limit_mib)
            )
    if model.xray:
        out.append((("xray",), "the X-Ray sidecar", XRAY_MEMORY_MIB))
    return out


def app_memory_limit(model: ContainerService) -> int | None:
    """The app container's hard limit: memory_limit_mib, or with `task` the memory the others leave."""
    if model.memory_limit_mib == "task":
        return model.memory - sum(mib for _, _, mib in other_reservations(model))
    return model.memory_limit_mib


def container_memory(ctx: ServiceContext) -> Iterator[Finding]:
    model = ctx.model
    if not isinstance(model, ContainerService):
        return
    task = model.memory
    others = other_reservations(model)
    app = app_memory_limit(model)
    if model.memory_limit_mib == "task":
        if app is not None and app < MIN_CONTAINER_MIB:
            taken = sum(mib for _, _, mib in others)
            yield Finding(
                ("memory_limit_mib",),
                f"the other containers reserve {taken} MiB of the task's {task} MiB: less than "
                f"{MIN_CONTAINER_MIB} MiB is left for the app",
                related=(("memory",),),
            )
        return
    # the fields that set a hard limit, where an overflow of the task is reported
    limited: list[tuple[str | int, ...]] = [("memory_limit_mib",)] if app is not None else []
    limited += [
        ("sidecars", i, "memory_limit_mib") for i, c in enumerate(model.sidecars) if c.memory_limit_mib is not None
    ]
    limited += [
        ("init_containers", i, "memory_limit_mib")
        for i, c in enumerate(model.init_containers)
        if c.memory_limit_mib is not None
    ]
    if app is not None:
        yield from _limit_fits(("memory_limit_mib",), app, task)
    for index, sidecar in enumerate(model.sidecars):
        where: tuple[str | int, ...] = ("sidecars", index, "memory_limit_mib")
        limit, reservation = sidecar.memory_limit_mib, sidecar.memory_reservation
        if limit is None:
            continue
        yield from _limit_fits(where, limit, task)
        if reservation is not None and limit < reservation:
            yield Finding(
                where,
                f"{limit} MiB is less than its memory_reservation ({reservation} MiB); a hard limit must be at "
                "least the reservation",
                related=(("sidecars", index, "memory_reservation"),),
            )
    for index, init in enumerate(model.init_containers):
        if init.memory_limit_mib is not None:
            yield from _limit_fits(("init_containers", index, "memory_limit_mib"), init.memory_limit_mib, task)
    reserved: list[Reserved] = [(("memory_limit_mib",), "the app", app)] if app is not None else []
    reserved += others
    total = sum(mib for _, _, mib in reserved)
    if limited and total > task:
        parts = ", ".join(f"{what} {mib}" for _, what, mib in reserved)
        yield Finding(
            limited[0],
            f"the task's containers reserve {total} MiB ({parts}), more than the task's memory ({task} MiB)",
            hint="lower the limits, or raise memory (with a CPU that allows it)",
            related=(("memory",),),
        )


def _limit_fits(where: tuple[str | int, ...], limit: int, task: int) -> Iterator[Finding]:
    if limit > task:
        yield Finding(where, f"{limit} MiB is more than the task's memory ({task} MiB)", related=(("memory",),))
