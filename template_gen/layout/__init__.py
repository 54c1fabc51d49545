"""Layout: where each service of an environment lives when it outgrows one template or one load balancer.

- `capacity`: what a shard may hold (resources, outputs, parameters) and services per ALB;
- `costs`: what a service and an API route group cost in the stack they land in, measured from the stack
  builders themselves (never kept by hand);
- `placement`: the placement (compute shard, ALB, API route shard), its bin packing, and its file
  `services/environments/<env>.placement.json`;
- `planner`: the `Layout` of an environment: placement plus first-deploy waves;
- `waves`: the compute shards each first-deploy wave creates.

Nothing here writes: `pipeline.Synthesis.write()` stores the placement beside the build, atomically.
(This module imports nothing, so `spec` can import `layout.placement` without a cycle through the builders.)
"""
