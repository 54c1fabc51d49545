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


def container_memory(ctx: ServiceContext) -> Iterator[Finding]:
    model = ctx.model
    if not isinstance(model, ContainerService):
        return
    task = model.memory
    # (field, what, reserved MiB) of every container that reserves memory
    reserved: list[tuple[tuple[str | int, ...], str, int]] = []
    limited: list[tuple[str | int, ...]] = []
    if model.memory_limit_mib is not None:
        reserved.append((("memory_limit_mib",), "the app", model.memory_limit_mib))
        limited.append(("memory_limit_mib",))
        yield from _limit_fits(("memory_limit_mib",), model.memory_limit_mib, task)
    for index, sidecar in enumerate(model.sidecars):
        where: tuple[str | int, ...] = ("sidecars", index, "memory_limit_mib")
        limit, reservation = sidecar.memory_limit_mib, sidecar.memory_reservation
        if limit is not None:
            limited.append(where)
            yield from _limit_fits(where, limit, task)
            if reservation is not None and limit < reservation:
                yield Finding(
                    where,
                    f"{limit} MiB is less than its memory_reservation ({reservation} MiB); a hard limit must be at "
                    "least the reservation",
                    related=(("sidecars", index, "memory_reservation"),),
                )
        mib = reservation if reservation is not None else limit
        if mib is not None:
            reserved.append((where, f"sidecar '{sidecar.name}'", mib))
    for index, init in enumerate(model.init_containers):
        where = ("init_containers", index, "memory_limit_mib")
        if init.memory_limit_mib is not None:
            limited.append(where)
            yield from _limit_fits(where, init.memory_limit_mib, task)
            reserved.append((where, f"init container '{init.name}'", init.memory_limit_mib))
    if model.xray:
        reserved.append((("xray",), "the X-Ray sidecar", XRAY_MEMORY_MIB))
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
