"""Groups, templates, built-ins and system config as services."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from service_helpers import ADMIN, ALICE, ALL_KEY, remote

from hub.app import Hub
from hub.config.models import ItemOverride
from hub.errors import BadRequest, Conflict, Forbidden, NotFound
from hub.services import builtin_items, groups, keys, servers, system, templates
from hub.services.builtin_items import NewPrompt
from hub.services.groups import GroupUpdate, NewGroup
from hub.services.keys import NewKey
from hub.services.templates import ExportBody, TemplateDoc


async def test_groups_hold_only_what_their_owner_may_see(hub: Hub) -> None:
    await servers.create_server(hub, ADMIN, "adm", remote())
    admins = await groups.create_group(hub, ADMIN, NewGroup(name="admins"))
    with pytest.raises(BadRequest, match="Unknown server"):
        await groups.create_group(
            hub, ALICE, NewGroup.model_validate({"name": "mine", "servers": ["adm"]})
        )
    with pytest.raises(NotFound):
        await groups.add_server(hub, ALICE, admins.id, "adm")
    with pytest.raises(Conflict):  # /mcp/adm would no longer reach the server
        await groups.create_group(hub, ALICE, NewGroup(name="adm"))
    await servers.create_server(hub, ALICE, "hers", remote())
    mine = await groups.create_group(
        hub, ALICE, NewGroup.model_validate({"name": "mine", "servers": ["hers"]})
    )
    assert mine.owner == "alice" and [g.name for g in groups.list_groups(hub, ALICE)] == ["mine"]
    member = await groups.set_selection(hub, ALICE, "mine", "hers", "tools", ["a", "a", ""])
    assert member.tools == ["a"]


async def test_group_rename_and_delete_follow_into_keys(hub: Hub) -> None:
    team = await groups.create_group(hub, ADMIN, NewGroup(name="team"))
    key, _ = await keys.create_key(
        hub, ADMIN, NewKey(name="k", access_type="groups", allowed_groups=["team"])
    )
    await groups.update_group(hub, ADMIN, team.id, GroupUpdate(name="crew"))
    assert hub.config.keys[key.id].allowed_groups == ["crew"]
    await groups.delete_group(hub, ADMIN, "crew")
    assert hub.config.keys[key.id].allowed_groups == []


async def test_template_import_applies_the_write_rules(hub: Hub, tmp_path: Path) -> None:
    marker = tmp_path / "spawned"
    stdio = {"command": "touch", "args": [str(marker)]}
    doc = TemplateDoc(servers={"t": stdio}, groups=[{"name": "tg", "servers": ["t", "adm"]}])
    with pytest.raises(BadRequest) as refused:
        await templates.import_template(hub, ALICE, TemplateDoc(servers={"t": stdio}))
    assert refused.value.extra["data"]["serversFailed"] == 1
    assert "t" not in hub.config.servers
    # An admin's import creates the command disabled: someone reads it before it runs.
    result = await templates.import_template(hub, ADMIN, doc)
    assert result["serversCreated"] == 1 and result["groupsCreated"] == 1
    assert hub.config.servers["t"].enabled is False and not marker.exists()
    with pytest.raises(BadRequest, match="version"):
        await templates.import_template(hub, ADMIN, TemplateDoc(version="2.0"))


async def test_template_export_hides_secrets_and_others_servers(hub: Hub) -> None:
    await servers.create_server(hub, ADMIN, "adm", remote(env={"API_KEY": "s3cret-value"}))
    await servers.create_server(hub, ALICE, "hers", remote())
    doc = templates.export_template(
        hub, ADMIN, ExportBody(name="all", include_disabled_servers=True)
    )
    assert "s3cret-value" not in json.dumps(doc)
    assert doc["servers"]["adm"]["env"]["API_KEY"] == "${API_KEY}"
    assert "API_KEY" in doc["requiredEnvVars"]
    theirs = templates.export_template(
        hub, ALICE, ExportBody(name="x", include_disabled_servers=True)
    )
    assert list(theirs["servers"]) == ["hers"]


async def test_builtin_prompts_are_for_admins_to_write(hub: Hub) -> None:
    with pytest.raises(Forbidden):
        await builtin_items.create_prompt(hub, ALICE, NewPrompt(name="p", template="hi"))
    await builtin_items.create_prompt(hub, ADMIN, NewPrompt(name="p", template="hi"))
    with pytest.raises(Conflict):
        await builtin_items.create_prompt(hub, ADMIN, NewPrompt(name="p", template="again"))
    assert [p.name for p in builtin_items.list_prompts(hub, ALICE)] == ["p"]


async def test_system_config_rules(hub: Hub) -> None:
    with pytest.raises(Forbidden):  # settings hold every secret: a key may not change them
        await system.update_system_config(hub, ALL_KEY, {"nameSeparator": "__"})
    with pytest.raises(BadRequest, match="at least 1kb"):
        await system.update_system_config(hub, ADMIN, {"routing": {"jsonBodyLimit": "10b"}})
    with pytest.raises(BadRequest, match="Unknown system config"):
        await system.update_system_config(hub, ADMIN, {"nope": 1})
    old = hub.config.system.name_separator
    tools = {f"s{old}echo": ItemOverride(enabled=False)}
    await servers.create_server(hub, ADMIN, "s", remote(tools=tools))
    await system.update_system_config(hub, ADMIN, {"nameSeparator": "__"})
    assert set(hub.config.servers["s"].tools or {}) == {"s__echo"}
    with pytest.raises(Forbidden):
        system.export_settings(hub, ALL_KEY)
