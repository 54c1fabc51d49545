"""Models of a service's API routes (`api.routes`) and of the environment's API settings they rely on:
binary media types and the JWT authorizers (`api.authorizers` in registry.yaml)."""

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, field_validator

from template_gen.registry.types import Model, Range

Auth = Literal["api_key", "authorizer", "iam", "none", "cognito", "jwt"]
Method = Literal["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
RouteExposure = Literal["public", "private", "both"]

# Media types API Gateway passes through as bytes (the rest is text): images, downloads, fonts, media.
DEFAULT_BINARY_MEDIA_TYPES = (
    "application/octet-stream",
    "application/pdf",
    "application/zip",
    "image/*",
    "font/*",
    "audio/*",
    "video/*",
)


class MethodThrottle(Model):
    rate_limit: float = Field(ge=0, le=1_000_000, description="Steady-state requests per second.")
    burst_limit: Annotated[int, Range(0, 1_000_000)] = Field(description="Maximum concurrent burst.")


# Request parameter names a cache key may list (query strings and headers).
ParameterName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]


class RouteCache(Model):
    """A GET route's answers in the stage cache, keyed by its path, its caller and the parameters listed."""

    ttl_seconds: Annotated[int, Range(0, 3600)] = Field(300, description="How long an answer is kept (0: none).")
    query_strings: list[ParameterName] = Field(
        default_factory=list,
        description="Query string parameters the answer depends on, each part of the cache key. Any other query "
        "string is not: ?a=1 and ?a=2 share one cached answer unless a is listed.",
    )
    headers: list[ParameterName] = Field(
        default_factory=list, description="Request headers the answer depends on, each part of the cache key."
    )
    shared: bool = Field(
        False,
        description="auth none only: every caller gets the same cached answer (an open route has no caller "
        "identity to key on).",
    )


# API Gateway's cache cluster sizes, GB.
CACHE_SIZES_GB = (0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118, 237)


class CacheCluster(Model):
    size_gb: float = Field(
        description="Cache capacity in GB: 0.5, 1.6, 6.1, 13.5, 28.4, 58.2, 118 or 237 (billed by the hour per size).",
        json_schema_extra={"enum": list(CACHE_SIZES_GB)},
    )

    @field_validator("size_gb")
    @classmethod
    def _a_cache_size(cls, value: float) -> float:
        if value not in CACHE_SIZES_GB:
            sizes = ", ".join(f"{size:g}" for size in CACHE_SIZES_GB)
            raise ValueError(f"{value:g} GB is not a cache size; API Gateway offers {sizes} GB")
        return value


class ApiCache(Model):
    """The stage cache cluster of each API. A cluster caches nothing by itself: routes opt in (api.routes[].cache)."""

    public: CacheCluster | None = Field(None, description="The public API stage's cache cluster.")
    private: CacheCluster | None = Field(None, description="The private API stage's cache cluster.")


class ApiRoute(Model):
    path: str = Field(
        description="Path on the API, e.g. /api/v1/users. '/' is the API's root: one service per API may own it, "
        "and every other service's routes take precedence over it."
    )
    methods: list[Method] = Field(
        default_factory=lambda: list[Method](["ANY"]), min_length=1, description="HTTP methods; ANY: every method."
    )
    proxy: bool = Field(True, description="Also route everything below the path (a {proxy+} resource).")
    auth: Auth | None = Field(None, description="Defaults to api.auth.")
    exposure: RouteExposure | None = Field(None, description="Defaults to api.exposure.")
    authorizer: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9-]{0,31}$",
        description="auth cognito/jwt: the authorizer (of api.authorizers in registry.yaml); defaults to "
        "the only one of that type.",
    )
    scopes: list[str] = Field(
        default_factory=list, description="auth cognito: OAuth scopes the access token must carry (any of them)."
    )
    throttle: MethodThrottle | None = Field(
        None, description="Throttling of these methods (stage method settings); default: the stage's."
    )
    cache: RouteCache | None = Field(
        None,
        description="Cache this GET route's answers in the stage cache (api.cache of its API in registry.yaml), "
        "keyed by the caller's identity; default: not cached.",
    )


class BinaryMediaTypes(Model):
    public: list[str] = Field(default_factory=lambda: list(DEFAULT_BINARY_MEDIA_TYPES))
    private: list[str] = Field(default_factory=lambda: list(DEFAULT_BINARY_MEDIA_TYPES))


class CognitoAuthorizer(Model):
    type: Literal["cognito"]
    user_pool_arns: list[str] = Field(
        min_length=1,
        max_length=1000,
        description="Cognito user pools whose tokens are accepted (arn:aws:cognito-idp:<region>:<account>:"
        "userpool/<id>).",
    )
    identity_header: str = Field("Authorization", pattern=r"^[A-Za-z0-9-]{1,64}$")


class JwtAuthorizer(Model):
    type: Literal["jwt"]
    issuer: str = Field(pattern=r"^https://\S+$", description="The OIDC issuer (iss claim), https.")
    audiences: list[str] = Field(min_length=1, description="Accepted aud claims (any of them).")
    jwks_url: str | None = Field(None, pattern=r"^https://\S+$", description="Default: <issuer>/.well-known/jwks.json.")
    clock_skew_seconds: Annotated[int, Range(0, 300)] = Field(60, description="Leeway for exp/nbf/iat.")
    jwks_cache_seconds: Annotated[int, Range(60, 86400)] = Field(3600, description="How long keys are cached.")
    result_cache_seconds: Annotated[int, Range(0, 3600)] = Field(
        300, description="How long API Gateway caches the answer per token."
    )


AnyAuthorizer = Annotated[CognitoAuthorizer | JwtAuthorizer, Field(discriminator="type")]
# Authorizer names become logical IDs and function names (jwt-<name>).
AuthorizerName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{0,31}$")]
