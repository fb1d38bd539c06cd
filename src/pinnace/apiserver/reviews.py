"""The review kinds: answers computed per request, never stored.

As kube-apiserver, for `kubectl auth can-i` and `kubectl auth whoami`:

- `authorization.k8s.io/v1` `SelfSubjectAccessReview` (may I?),
  `SubjectAccessReview` (may this user/groups?), `LocalSubjectAccessReview`
  (the same, in the path's namespace) and `SelfSubjectRulesReview` (what may I
  do in this namespace: `can-i --list`), decided by the same `rbac.Rbac` that
  guards every request;
- `authentication.k8s.io/v1` `SelfSubjectReview` (who am I).

Creating a review is itself authorized at the entry (`create` on the review
resource): every authenticated user may create the self reviews through the
bootstrap ClusterRole `system:basic-user` (`policy`); the others need a grant.
Answers are 201 with the request body and its `status` filled in.
"""

from __future__ import annotations

from typing import Any

from pinnace.apiserver import authorizing, encoding, errors, rbac
from pinnace.apiserver.messages import Reply, Request
from pinnace.apiserver.requests import RequestInfo

AUTHORIZATION = "authorization.k8s.io"
AUTHENTICATION = "authentication.k8s.io"

_KINDS = {
    (AUTHORIZATION, "selfsubjectaccessreviews"): "SelfSubjectAccessReview",
    (AUTHORIZATION, "subjectaccessreviews"): "SubjectAccessReview",
    (AUTHORIZATION, "localsubjectaccessreviews"): "LocalSubjectAccessReview",
    (AUTHORIZATION, "selfsubjectrulesreviews"): "SelfSubjectRulesReview",
    (AUTHENTICATION, "selfsubjectreviews"): "SelfSubjectReview",
}


def serves(info: RequestInfo) -> bool:
    return info.is_resource and info.version == "v1" and (info.group, info.plural) in _KINDS


def create(authorizer: authorizing.Authorizer, req: Request, user: authorizing.UserInfo) -> Reply:
    info = req.info
    kind = _KINDS[(info.group, info.plural)]
    if info.verb != "create" or info.name:
        raise errors.MethodNotAllowed(
            "the server does not allow this method on the requested resource"
        )
    body = encoding.decode_object(req.body, req.headers.get("content-type"), kind=kind)
    spec = body.get("spec") or {}
    if not isinstance(spec, dict):
        raise _invalid(kind, "spec", "must be an object")
    if kind == "SelfSubjectReview":
        status: dict[str, Any] = {
            "userInfo": {"username": user.username, "groups": list(user.groups)}
        }
    elif kind == "SelfSubjectRulesReview":
        status = _rules(authorizer, user, str(spec.get("namespace") or ""))
    else:
        subject = user
        if kind != "SelfSubjectAccessReview":
            groups = tuple(str(g) for g in spec.get("groups") or ())
            if not spec.get("user") and not groups:
                raise _invalid(kind, "spec.user", "at least one of user or group must be specified")
            subject = authorizing.UserInfo(str(spec.get("user") or ""), groups)
        status = _access(authorizer, kind, subject, spec, info.namespace or "")
    answer = {
        "kind": kind,
        "apiVersion": f"{info.group}/v1",
        "metadata": {k: v for k, v in (body.get("metadata") or {}).items() if k != "managedFields"},
        **({"spec": spec} if kind != "SelfSubjectReview" else {}),
        "status": status,
    }
    return Reply(201, answer)


def _invalid(kind: str, field: str, message: str) -> errors.Invalid:
    return errors.Invalid.of(
        kind, "", AUTHORIZATION, [errors.cause(field, f"Invalid value: {message}")]
    )


def _access(
    authorizer: authorizing.Authorizer,
    kind: str,
    user: authorizing.UserInfo,
    spec: dict[str, Any],
    path_namespace: str,
) -> dict[str, Any]:
    resource, non_resource = spec.get("resourceAttributes"), spec.get("nonResourceAttributes")
    if bool(resource) == bool(non_resource):
        raise _invalid(
            kind,
            "spec.resourceAttributes",
            "exactly one of nonResourceAttributes or resourceAttributes must be specified",
        )
    if resource:
        namespace = str(resource.get("namespace") or "")
        if kind == "LocalSubjectAccessReview":
            if namespace and namespace != path_namespace:
                raise _invalid(
                    kind,
                    "spec.resourceAttributes.namespace",
                    "must match metadata.namespace",
                )
            namespace = path_namespace
        a = rbac.Attributes(
            user.username,
            user.groups,
            str(resource.get("verb") or ""),
            namespace=namespace,
            group=str(resource.get("group") or ""),
            resource=str(resource.get("resource") or ""),
            subresource=str(resource.get("subresource") or ""),
            name=str(resource.get("name") or ""),
        )
    else:
        url = non_resource if isinstance(non_resource, dict) else {}
        a = rbac.Attributes(
            user.username,
            user.groups,
            str(url.get("verb") or ""),
            path=str(url.get("path") or ""),
            resource_request=False,
        )
    decision = authorizer.decide(a)
    status: dict[str, Any] = {"allowed": decision.allowed}
    if decision.reason:
        status["reason"] = decision.reason
    return status


def _rules(
    authorizer: authorizing.Authorizer, user: authorizing.UserInfo, namespace: str
) -> dict[str, Any]:
    if rbac.SYSTEM_MASTERS in user.groups or authorizer.mode is authorizing.Mode.ALWAYS_ALLOW:
        everything = [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}]
        return {
            "resourceRules": everything,
            "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}],
            "incomplete": False,
        }
    index = authorizer.rbac.index()
    resource_rules: list[dict[str, Any]] = []
    non_resource_rules: list[dict[str, Any]] = []
    subjects: list[rbac.Subject] = [("User", user.username), *(("Group", g) for g in user.groups)]
    for subject in subjects:
        grants = list(index.cluster.get(subject, ()))
        if namespace:
            grants += index.namespaced.get(subject, {}).get(namespace, ())
        for grant in grants:
            rule = grant.rule
            if rule.urls:
                non_resource_rules.append(
                    {"verbs": sorted(rule.verbs), "nonResourceURLs": list(rule.urls)}
                )
            if rule.resources:
                entry: dict[str, Any] = {
                    "verbs": sorted(rule.verbs),
                    "apiGroups": sorted(rule.groups),
                    "resources": sorted(rule.resources),
                }
                if rule.names:
                    entry["resourceNames"] = sorted(rule.names)
                resource_rules.append(entry)
    return {
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": False,
    }
