"""``/oauth/token`` (authorization code with PKCE, refresh with rotation), ``/oauth/revoke``
(RFC 7009) and ``/oauth/userinfo``."""

from __future__ import annotations

from typing import Any

from mcphub_oauth import grants, urls
from mcphub_oauth.base import OAuthHandler
from mcphub_oauth.grants import OAuthError


class TokenHandler(OAuthHandler):
    async def post(self) -> None:
        self.set_header("Cache-Control", "no-store")
        self.set_header("Pragma", "no-cache")
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise OAuthError("invalid_request", "Use application/x-www-form-urlencoded")
        grant_type = self.arg("grant_type")
        if grant_type not in ("authorization_code", "refresh_token"):
            raise OAuthError("unsupported_grant_type", f"Unsupported grant_type: {grant_type}")
        client = self.authenticate_client()
        if grant_type not in client.get("grants", ["authorization_code", "refresh_token"]):
            raise OAuthError("unauthorized_client", f"Client may not use {grant_type}")
        if grant_type == "authorization_code":
            reply = await self._code(client)
        else:
            reply = await self._refresh(client)
        self.oauth_json(reply)

    async def _code(self, client: dict[str, Any]) -> dict[str, Any]:
        code = self.arg("code")
        if not code:
            raise OAuthError("invalid_request", "code is required")
        grant = await grants.redeem_code(self.hub, code, client["clientId"])
        if self.arg("redirect_uri") != grant.redirect_uri:
            raise OAuthError(
                "invalid_grant", "redirect_uri does not match the authorization request"
            )
        verifier = self.arg("code_verifier")
        if not verifier or not grants.pkce_matches(verifier, grant.challenge):
            raise OAuthError("invalid_grant", "code verifier is invalid")
        resource = self.arg("resource") or grant.resource
        if grant.resource and resource.rstrip("/") != grant.resource.rstrip("/"):
            raise OAuthError("invalid_target", "resource differs from the authorization request")
        if resource and not urls.valid_resource(self.hub, self.request, resource):
            raise OAuthError("invalid_target", "resource is not served by this hub")
        user = self.hub.config.users.get(grant.username)
        if user is None or user.token_version != grant.user_version:
            raise OAuthError("invalid_grant", "the user's login is no longer valid")
        key, reply = await grants.issue(
            self.hub,
            client_id=client["clientId"],
            username=grant.username,
            scope=grant.scope,
            resource=resource,
            user_version=grant.user_version,
            admin=grant.admin and user.is_admin,
        )
        grant.issued.append(key)
        return reply

    async def _refresh(self, client: dict[str, Any]) -> dict[str, Any]:
        token = self.arg("refresh_token")
        if not token:
            raise OAuthError("invalid_request", "refresh_token is required")
        found = grants.refresh_record(self.hub, token)
        if found is None or found[1].get("clientId") != client["clientId"]:
            raise OAuthError("invalid_grant", "refresh token is invalid")
        key, doc = found
        # Rotation: the old pair (refresh and access token) ends now, used or not.
        await self.hub.config.delete_oauth_token(key)
        if not grants.user_still_valid(self.hub, doc):
            raise OAuthError("invalid_grant", "refresh token is invalid")
        scope = str(doc.get("scope", ""))
        asked = self.arg("scope")
        if asked:
            if not set(asked.split()) <= set(scope.split()):
                raise OAuthError("invalid_scope", "scope exceeds the original grant")
            scope = asked
        resource = str(doc.get("resource", ""))
        asked_resource = self.arg("resource")
        if asked_resource and not urls.audience_covers(resource, asked_resource):
            raise OAuthError("invalid_target", "resource exceeds the original grant")
        user = self.hub.config.users[str(doc["username"])]
        _, reply = await grants.issue(
            self.hub,
            client_id=client["clientId"],
            username=user.username,
            scope=scope,
            resource=asked_resource or resource,
            user_version=user.token_version,
            admin=bool(doc.get("admin")) and user.is_admin,
        )
        return reply


class RevokeHandler(OAuthHandler):
    async def post(self) -> None:
        client = self.authenticate_client()
        token = self.arg("token")
        if not token:
            raise OAuthError("invalid_request", "token is required")
        await grants.revoke(self.hub, token, client["clientId"])
        self.set_header("Cache-Control", "no-store")
        self.oauth_json({})


class UserInfoHandler(OAuthHandler):
    async def get(self) -> None:
        header = self.request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        doc = grants.access_record(self.hub, token.strip()) if scheme.lower() == "bearer" else None
        if doc is None:
            self.set_header("WWW-Authenticate", 'Bearer error="invalid_token"')
            raise OAuthError("invalid_token", "Invalid or expired access token", 401)
        self.set_header("Cache-Control", "no-store")
        username = str(doc["username"])
        self.oauth_json({"sub": username, "username": username})

    post = get
