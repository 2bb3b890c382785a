"""OAuth clients: ``/api/oauth/clients[/{clientId}[/regenerate-secret]]`` (MCPHub's shapes).

Any logged-in user; admins see and manage every client, others only their own. A secret is in
the reply that made it and never again. The rules are in ``hub.services.oauth_clients``.
"""

from __future__ import annotations

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.services import oauth_clients
from hub.services.oauth_clients import ClientUpdate, NewClient

SECRET_WARNING = "Client secret is only shown once. Store it securely."


class ClientsHandler(APIHandler):
    policy = Policy.OWNER
    docs = {
        "GET": Op("List OAuth clients (admins: all; users: their own); no secrets"),
        "POST": Op(
            "Create an OAuth client; its secret is shown only in this answer",
            body=NewClient,
            status=201,
        ),
    }

    async def get(self) -> None:
        self.send_json(
            {"success": True, "clients": oauth_clients.list_clients(self.hub, self.caller)}
        )

    async def post(self) -> None:
        client, secret = await oauth_clients.create_client(
            self.hub, self.caller, self.body_as(NewClient)
        )
        shown = {"clientId": client["clientId"], **({"clientSecret": secret} if secret else {})}
        body = {
            "success": True,
            "message": "OAuth client created successfully",
            "client": {**shown, **client},
        }
        if secret:
            body["warning"] = SECRET_WARNING
        self.send_json(body, 201)


class ClientHandler(APIHandler):
    policy = Policy.OWNER
    docs = {
        "GET": Op("Read one OAuth client (no secret)"),
        "PUT": Op(
            "Change an OAuth client's name, redirect URIs, grants or scopes", body=ClientUpdate
        ),
        "DELETE": Op("Delete an OAuth client and the tokens issued to it"),
    }

    async def get(self, client_id: str) -> None:
        client = oauth_clients.get_client(self.hub, self.caller, client_id)
        self.send_json({"success": True, "client": client})

    async def put(self, client_id: str) -> None:
        client = await oauth_clients.update_client(
            self.hub, self.caller, client_id, self.body_as(ClientUpdate)
        )
        self.send_json(
            {"success": True, "message": "OAuth client updated successfully", "client": client}
        )

    async def delete(self, client_id: str) -> None:
        await oauth_clients.delete_client(self.hub, self.caller, client_id)
        self.send_json({"success": True, "message": "OAuth client deleted successfully"})


class SecretHandler(APIHandler):
    policy = Policy.OWNER
    docs = {"POST": Op("Replace a client's secret; the new one is shown only in this answer")}

    async def post(self, client_id: str) -> None:
        secret = await oauth_clients.regenerate_secret(self.hub, self.caller, client_id)
        self.send_json(
            {
                "success": True,
                "message": "Client secret regenerated successfully",
                "clientSecret": secret,
                "warning": SECRET_WARNING,
            }
        )


default_handlers = [
    (r"/api/oauth/clients", ClientsHandler),
    (r"/api/oauth/clients/(?P<client_id>[\w-]+)", ClientHandler),
    (r"/api/oauth/clients/(?P<client_id>[\w-]+)/regenerate-secret", SecretHandler),
]
