"""A realistic tool catalog: twelve servers of the kinds people put behind a hub, each tool
with the name, description and parameters such a server would publish. Written for this
benchmark; every line is ``name | description | param, param, ...``."""

from __future__ import annotations

from dataclasses import dataclass

FORGE = """
create_issue | Open a new issue in a repository with a title, body and optional labels. | repo, title, body, labels
list_issues | List issues of a repository, filtered by state, label or assignee. | repo, state, label, assignee
get_issue | Fetch one issue with its description, labels and comments. | repo, number
close_issue | Close an issue, optionally with a closing comment. | repo, number, comment
add_issue_comment | Post a comment on an issue or pull request. | repo, number, body
search_issues | Full-text search across issues and pull requests of every repository. | query, sort
create_pull_request | Propose merging a head branch into a base branch. | repo, head, base, title, body
merge_pull_request | Merge an approved pull request using merge, squash or rebase. | repo, number, method
list_pull_requests | List pull requests of a repository by state. | repo, state
request_review | Ask reviewers to review a pull request. | repo, number, reviewers
get_pull_request_diff | Return the unified diff of a pull request. | repo, number
create_branch | Create a branch from a commit or another branch. | repo, name, from_ref
delete_branch | Delete a branch from a repository. | repo, name
list_commits | List commits on a branch with author and message. | repo, branch, since
get_file_contents | Read a file from a repository at a given ref. | repo, path, ref
create_or_update_file | Commit a new or changed file to a branch. | repo, path, content, message, branch
fork_repository | Fork a repository into your account or an organization. | repo, organization
create_repository | Create a new repository, public or private. | name, private, description
list_workflow_runs | List CI workflow runs and their conclusions. | repo, workflow, status
rerun_workflow | Run a failed CI workflow again. | repo, run_id
create_release | Publish a tagged release with notes. | repo, tag, name, notes
"""

CHAT = """
send_message | Post a message to a channel or a direct conversation. | channel, text, thread_ts
list_channels | List public and private channels the bot belongs to. | include_archived
create_channel | Create a new channel, public or private. | name, is_private
archive_channel | Archive a channel so nobody can post in it. | channel
invite_to_channel | Add members to a channel. | channel, users
get_channel_history | Read recent messages of a channel. | channel, limit, oldest
reply_in_thread | Answer inside the thread of an existing message. | channel, thread_ts, text
add_reaction | React to a message with an emoji. | channel, timestamp, emoji
pin_message | Pin a message to the top of a channel. | channel, timestamp
set_channel_topic | Change the topic line shown in a channel header. | channel, topic
lookup_user_by_email | Find a workspace member from an email address. | email
set_status | Set your own status text, emoji and expiry. | text, emoji, expiration
schedule_message | Queue a message to be posted at a later time. | channel, text, post_at
upload_file_to_channel | Share a file into a channel with an optional comment. | channel, filename, content
search_messages | Search messages across channels by keywords. | query, count
delete_message | Remove a message the bot posted. | channel, timestamp
"""

MAIL = """
send_email | Send an email to one or more recipients with subject and body. | to, cc, subject, body
draft_email | Save an email as a draft without sending it. | to, subject, body
reply_to_email | Reply to a received email, keeping the thread. | message_id, body, reply_all
forward_email | Forward an email to new recipients. | message_id, to, note
search_mailbox | Search the mailbox with sender, subject and date filters. | query, from_address, after, before
get_email | Read one email with headers, body and attachment list. | message_id
list_unread_emails | List unread emails in the inbox, newest first. | limit
mark_as_read | Mark emails as read. | message_ids
move_to_folder | Move emails into a folder or label. | message_ids, folder
create_mail_filter | Create a rule that files or labels incoming mail automatically. | criteria, action
download_attachment | Save an email attachment. | message_id, attachment_id
unsubscribe_sender | Unsubscribe from a mailing list sender. | sender
set_vacation_responder | Turn the out-of-office auto-reply on or off with a message. | enabled, message, start, end
block_sender | Send all future mail from an address to spam. | address
"""

CALENDAR = """
create_event | Add an event to a calendar with start, end, attendees and location. | calendar, title, start, end, attendees, location
list_events | List events between two dates. | calendar, start, end
update_event | Change the time, title or attendees of an event. | event_id, changes
delete_event | Remove an event and notify attendees. | event_id, notify
find_free_slots | Find time slots when all given people are available. | attendees, duration_minutes, window_start, window_end
respond_to_invitation | Accept, decline or tentatively accept an invitation. | event_id, response
create_recurring_event | Create an event that repeats daily, weekly or monthly. | title, start, rule
list_calendars | List the calendars you can see. | 
share_calendar | Give another person access to a calendar. | calendar, email, role
set_event_reminder | Add a reminder before an event starts. | event_id, minutes_before
book_meeting_room | Reserve a meeting room for a time range. | room, start, end
convert_time_zone | Convert a date and time from one time zone to another. | datetime, from_zone, to_zone
get_current_time | Current date and time in a time zone. | timezone
"""

DRIVE = """
upload_file | Upload a file to storage at a path. | path, content, overwrite
download_file | Download a stored file. | path
list_folder | List files and folders under a path. | path, recursive
create_folder | Create a folder. | path
move_file | Move or rename a file or folder. | source, destination
copy_file | Copy a file to another location. | source, destination
delete_file | Delete a file or folder to the trash. | path
restore_from_trash | Bring a deleted file back from the trash. | path
share_file | Create a sharing link or share with people. | path, email, permission
get_file_metadata | Size, owner, modification time and checksum of a file. | path
search_files | Find files by name or content. | query, file_type
list_file_versions | List earlier versions of a file. | path
get_storage_quota | How much storage space is used and left. | 
compress_files | Pack files into a zip archive. | paths, archive_name
extract_archive | Unpack a zip or tar archive. | archive, destination
convert_document | Convert a document between formats such as docx, pdf and markdown. | path, target_format
"""

SQL = """
run_query | Execute a read-only SQL query and return the rows. | sql, database, max_rows
execute_statement | Execute an SQL statement that changes data (insert, update, delete). | sql, database
list_tables | List tables of a database schema. | database, schema
describe_table | Columns, types, keys and indexes of a table. | table
explain_query | Show the execution plan of an SQL query. | sql
create_table | Create a table from column definitions. | name, columns
create_index | Add an index on table columns. | table, columns, unique
backup_database | Take a full backup of a database. | database, destination
restore_database | Restore a database from a backup. | backup, database
list_slow_queries | Queries that took longest recently. | since, limit
export_table_csv | Export a table or query result as CSV. | table, where
import_csv | Load a CSV file into a table. | table, path, header
get_table_size | Rows and disk size of a table. | table
kill_session | Terminate a database session by id. | pid
"""

CLOUD = """
list_instances | List virtual machine instances with state and address. | region, state
start_instance | Start a stopped virtual machine. | instance_id
stop_instance | Stop a running virtual machine. | instance_id
reboot_instance | Restart a virtual machine. | instance_id
create_instance | Launch a new virtual machine from an image and size. | image, size, region, name
resize_instance | Change the machine type of an instance. | instance_id, size
create_snapshot | Snapshot a disk volume. | volume_id, description
list_buckets | List object storage buckets. | 
create_bucket | Create an object storage bucket. | name, region
set_bucket_policy | Set who may read or write a bucket. | bucket, policy
get_billing_costs | Cloud spend grouped by service for a period. | start, end, group_by
list_pods | List Kubernetes pods in a namespace with status. | namespace, selector
get_pod_logs | Read logs of a Kubernetes pod container. | namespace, pod, container, tail
scale_deployment | Set the replica count of a Kubernetes deployment. | namespace, deployment, replicas
rollout_restart | Restart all pods of a deployment gradually. | namespace, deployment
apply_manifest | Apply a Kubernetes YAML manifest. | manifest
create_dns_record | Add a DNS record to a zone. | zone, name, type, value, ttl
list_dns_records | List records of a DNS zone. | zone
issue_certificate | Issue a TLS certificate for a domain. | domain
"""

BILLING = """
create_customer | Create a customer record with email and name for billing. | email, name
create_invoice | Create an invoice for a customer with line items. | customer_id, items, due_date
send_invoice | Email an invoice to the customer. | invoice_id
list_invoices | List invoices by customer or status. | customer_id, status
refund_payment | Refund a payment fully or partly. | payment_id, amount, reason
create_subscription | Subscribe a customer to a price plan. | customer_id, price_id, trial_days
cancel_subscription | Cancel a subscription now or at period end. | subscription_id, at_period_end
list_payments | List payments with amount, status and date. | customer_id, since
create_payment_link | Create a shareable checkout link for a product. | price_id, quantity
get_balance | Available and pending account balance. | 
create_coupon | Create a discount coupon by percent or amount. | percent_off, amount_off, duration
update_payment_method | Change the card or bank account of a customer. | customer_id, payment_method
list_disputes | List chargebacks and their state. | status
get_tax_rates | Tax rates that apply by country and region. | country, region
"""

CRM = """
create_contact | Add a contact with name, email, phone and company. | name, email, phone, company
search_contacts | Find contacts by name, email or company. | query
update_contact | Change fields of a contact. | contact_id, fields
create_deal | Open a sales deal with value and stage. | name, value, stage, contact_id
move_deal_stage | Move a deal to another pipeline stage. | deal_id, stage
list_deals | List deals in a pipeline by stage and owner. | pipeline, stage, owner
log_call | Record a phone call with a contact and its notes. | contact_id, notes, duration
create_task | Create a follow-up task for a sales rep. | title, due, owner, contact_id
list_tasks | List open tasks by owner and due date. | owner, due_before
create_company | Add a company account. | name, domain, industry
merge_contacts | Merge duplicate contacts into one. | primary_id, duplicate_id
get_sales_forecast | Forecast revenue from open deals by month. | pipeline, months
add_note | Attach a note to a contact, company or deal. | record_id, text
enroll_in_sequence | Add a contact to an automated outreach sequence. | contact_id, sequence_id
"""

GEO = """
get_weather | Current weather conditions for a city or coordinates. | location, units
get_forecast | Weather forecast for the next days. | location, days
geocode_address | Turn a street address into latitude and longitude. | address
reverse_geocode | Turn latitude and longitude into a street address. | latitude, longitude
get_directions | Route between two places by car, foot, bike or transit, with duration. | origin, destination, mode
search_places | Find places such as restaurants or shops near a location. | query, near, radius
get_place_details | Opening hours, rating and phone of a place. | place_id
distance_matrix | Travel distances and times between many origins and destinations. | origins, destinations, mode
search_flights | Search flights between airports on dates. | origin, destination, depart, return_date, passengers
get_flight_status | Live status of a flight by number. | flight_number, date
search_hotels | Find hotels in a city for dates and guests. | city, check_in, check_out, guests
convert_currency | Convert an amount between currencies at today's rate. | amount, from_currency, to_currency
get_air_quality | Air pollution index for a location. | location
get_sunrise_sunset | Sunrise and sunset times for a place and date. | location, date
"""

WIKI = """
create_page | Create a wiki page in a space with a title and body. | space, title, body, parent
update_page | Replace the body of a wiki page. | page_id, body, version
get_page | Read a wiki page with its body and metadata. | page_id
search_pages | Search wiki pages by text. | query, space
list_spaces | List wiki spaces. | 
add_page_comment | Comment on a wiki page. | page_id, text
move_page | Move a page under another parent. | page_id, new_parent
delete_page | Delete a wiki page. | page_id
export_page_pdf | Export a page as a PDF file. | page_id
get_page_history | List earlier revisions of a page. | page_id
create_note | Save a quick personal note with tags. | text, tags
list_notes | List personal notes by tag. | tag
summarize_document | Produce a short summary of a long text. | text, max_words
translate_text | Translate text into another language. | text, target_language
check_spelling | Find spelling and grammar mistakes in text. | text, language
"""

OPS = """
create_incident | Declare an incident with severity and summary and page the on-call responder. | title, severity, service
acknowledge_alert | Acknowledge a firing alert so escalation stops. | alert_id
resolve_incident | Mark an incident resolved with a resolution note. | incident_id, note
list_active_alerts | List alerts that are firing now. | service, severity
get_on_call | Who is on call now for a schedule. | schedule
query_metrics | Query a time series with PromQL over a time range. | query, start, end, step
search_logs | Search application logs by text and time range. | query, service, since
create_dashboard | Create a monitoring dashboard with panels. | title, panels
silence_alerts | Mute alerts matching labels for a duration. | matchers, duration
get_uptime | Availability percentage of a service over a period. | service, period
create_status_page_update | Post an update on the public status page. | component, status, message
run_synthetic_check | Probe an HTTP endpoint now and report latency and status. | url, method
list_deployments | Recent deployments of services with version and time. | service, since
get_error_rate | Errors per minute of a service. | service, window
"""

SERVERS = {
    "forge": FORGE,
    "chat": CHAT,
    "mail": MAIL,
    "calendar": CALENDAR,
    "drive": DRIVE,
    "sql": SQL,
    "cloud": CLOUD,
    "billing": BILLING,
    "crm": CRM,
    "geo": GEO,
    "wiki": WIKI,
    "ops": OPS,
}


@dataclass(frozen=True)
class BenchTool:
    server: str
    name: str
    description: str
    parameters: tuple[str, ...]

    @property
    def input_schema(self) -> dict[str, object]:
        return {"type": "object", "properties": {p: {"type": "string"} for p in self.parameters}}


def tools() -> list[BenchTool]:
    out = []
    for server, block in SERVERS.items():
        for line in block.strip().splitlines():
            name, description, params = (part.strip() for part in line.split("|"))
            parameters = tuple(p.strip() for p in params.split(",") if p.strip())
            out.append(BenchTool(server, name, description, parameters))
    return out


FILLER_VERBS = [
    "sync",
    "audit",
    "tag",
    "rotate",
    "index",
    "validate",
    "archive",
    "label",
    "inspect",
    "reconcile",
]
FILLER_NOUNS = [
    "widget",
    "ledger",
    "token",
    "shard",
    "cohort",
    "asset",
    "manifest",
    "schedule",
    "variant",
    "quota",
    "segment",
    "webhook",
    "profile",
    "catalog",
    "batch",
]


def fillers(count: int) -> list[BenchTool]:
    """Plausible but unrelated tools that bring the catalog to a given size."""
    out: list[BenchTool] = []
    i = 0
    while len(out) < count:
        verb = FILLER_VERBS[i % len(FILLER_VERBS)]
        noun = FILLER_NOUNS[(i // len(FILLER_VERBS)) % len(FILLER_NOUNS)]
        server = f"extra{i % 40:02d}"
        description = (
            f"{verb.capitalize()} the {noun} records of tenant {i} in the {server} system."
        )
        out.append(BenchTool(server, f"{verb}_{noun}_{i}", description, ("tenant", noun)))
        i += 1
    return out
