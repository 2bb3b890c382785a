"""Requests an agent might make, each with the one tool that serves it best.

``shared``: the request uses some of the tool's own words. ``paraphrase``: it shares no
content word with the tool's name, description or parameters (checked by ``check()``), the
way people describe a task without knowing how the tool is called.
"""

from __future__ import annotations

SHARED = """
open a new issue about the login crash | forge/create_issue
list open issues labelled bug | forge/list_issues
merge the pull request with squash | forge/merge_pull_request
ask alice to review my pull request | forge/request_review
show the diff of pull request 42 | forge/get_pull_request_diff
create a branch from main | forge/create_branch
rerun the failed CI workflow | forge/rerun_workflow
publish a release for tag v2.0 | forge/create_release
post a message to the general channel | chat/send_message
reply in the thread of that message | chat/reply_in_thread
create a private channel for the launch | chat/create_channel
change the channel topic | chat/set_channel_topic
schedule a message for tomorrow morning | chat/schedule_message
send an email to the team with the report | mail/send_email
list my unread emails | mail/list_unread_emails
forward this email to finance | mail/forward_email
turn on the out-of-office auto-reply | mail/set_vacation_responder
download the attachment from that email | mail/download_attachment
add an event to my calendar on Friday | calendar/create_event
find free slots when everyone is available for 30 minutes | calendar/find_free_slots
decline the invitation | calendar/respond_to_invitation
book a meeting room for 2pm | calendar/book_meeting_room
convert 9am Paris time zone to Tokyo | calendar/convert_time_zone
upload a file to the reports folder | drive/upload_file
share the file with bob | drive/share_file
restore the file from the trash | drive/restore_from_trash
convert the docx document to pdf | drive/convert_document
run an SQL query on the orders database | sql/run_query
describe the columns of the users table | sql/describe_table
show the execution plan of this query | sql/explain_query
export the table as CSV | sql/export_table_csv
list slow queries from the last hour | sql/list_slow_queries
stop the virtual machine | cloud/stop_instance
read the logs of the pod | cloud/get_pod_logs
scale the deployment to 5 replicas | cloud/scale_deployment
add a DNS record for the api subdomain | cloud/create_dns_record
create an invoice for the customer | billing/create_invoice
refund the payment | billing/refund_payment
cancel the subscription at period end | billing/cancel_subscription
create a discount coupon of 20 percent | billing/create_coupon
add a contact for Jane from Acme | crm/create_contact
move the deal to the negotiation stage | crm/move_deal_stage
log a call with the customer | crm/log_call
merge duplicate contacts | crm/merge_contacts
what is the weather in Berlin | geo/get_weather
directions from the station to the museum by bike | geo/get_directions
search flights from Lisbon to Oslo | geo/search_flights
convert 100 dollars to euros currency | geo/convert_currency
create a wiki page for the onboarding guide | wiki/create_page
search the wiki pages for the VPN setup | wiki/search_pages
translate this text into German | wiki/translate_text
summarize this long document | wiki/summarize_document
declare an incident for the checkout service | ops/create_incident
acknowledge the alert | ops/acknowledge_alert
who is on call right now | ops/get_on_call
search the logs of the payment service | ops/search_logs
query the metrics for CPU with PromQL | ops/query_metrics
"""

PARAPHRASE = """
file a bug report | forge/create_issue
combine my feature work into trunk | forge/merge_pull_request
make my own copy of someone's project | forge/fork_repository
what changed in the latest code history | forge/list_commits
tell everyone in #general hello | chat/send_message
put a thumbs up on that post | chat/add_reaction
who is alice@example.com on slack | chat/lookup_user_by_email
write to my boss that I am late | mail/send_email
stop getting newsletters from that shop | mail/unsubscribe_sender
I am away next week, let people know I cannot answer | mail/set_vacation_responder
what mails have I not opened yet | mail/list_unread_emails
set up a meeting with Sam on Thursday at noon | calendar/create_event
when can the three of us meet | calendar/find_free_slots
what hour is it in Sydney | calendar/get_current_time
put the spreadsheet in my cloud drive | drive/upload_file
bundle these photos into one download | drive/compress_files
am I running out of room in my drive | drive/get_storage_quota
how big is the orders relation | sql/get_table_size
make a copy of the production db tonight | sql/backup_database
why is this select so sluggish | sql/explain_query
spin up a fresh server in Frankfurt | cloud/create_instance
power the box back up | cloud/start_instance
what did AWS charge us in March | cloud/get_billing_costs
bill Acme for March consulting | billing/create_invoice
give the money back to the buyer | billing/refund_payment
how much cash do we have right now | billing/get_balance
how much income should we expect next quarter | crm/get_sales_forecast
remind me to call the prospect back on Monday | crm/create_task
is it going to rain tomorrow in Dublin | geo/get_forecast
where is 10 Downing Road on a map | geo/geocode_address
is BA117 running late | geo/get_flight_status
what time will it get dark today | geo/get_sunrise_sunset
somewhere to sleep in Rome for two nights | geo/search_hotels
write up the onboarding steps in our knowledge base | wiki/create_page
jot down that idea | wiki/create_note
proofread my paragraph | wiki/check_spelling
give me the gist of this article | wiki/summarize_document
the site is down, wake up the engineer | ops/create_incident
quiet the noisy pager for an hour | ops/silence_alerts
is the website reachable and how fast | ops/run_synthetic_check
what went out to production today | ops/list_deployments
"""


def parse(block: str, kind: str) -> list[tuple[str, str, str]]:
    out = []
    for line in block.strip().splitlines():
        text, expected = (part.strip() for part in line.rsplit("|", 1))
        out.append((text, expected, kind))
    return out


def queries() -> list[tuple[str, str, str]]:
    """(query, expected ``server/tool``, kind) for every query."""
    return parse(SHARED, "shared") + parse(PARAPHRASE, "paraphrase")
