"""JSON Schemas (draft 7) of what each service documents as the body it
accepts, used by the loopback receiver (receiver.py) to validate what
vigild sends.  They encode the documented requirements, not vigil's own
output: required members, enumerations and limits.

Sources:
  Slack Block Kit: https://docs.slack.dev/reference/block-kit/blocks
    (header block: plain_text, at most 150 characters; section: text at
    most 3000, at most 10 fields of at most 2000; at most 50 blocks;
    actions: at most 25 elements; button url at most 3000)
  PagerDuty Events API v2:
    https://developer.pagerduty.com/docs/events-API-v2/02-Trigger-Events
    (routing_key, event_action trigger|acknowledge|resolve, dedup_key at
    most 255; trigger payload: summary at most 1024, source, severity
    critical|error|warning|info)
  Jira REST API: https://developer.atlassian.com/cloud/jira/platform/rest/
    v3/api-group-issues/#api-rest-api-3-issue-post (fields.project,
    issuetype, summary; v3 description in the Atlassian Document Format:
    {"type": "doc", "version": 1, "content": [...]}), and for Server/Data
    Center https://developer.atlassian.com/server/jira/platform/
    jira-rest-api-example-create-issue-7897248 (v2: description a string)
  Microsoft Teams incoming webhooks with Adaptive Cards:
    https://learn.microsoft.com/microsoftteams/platform/webhooks-and-
    connectors/how-to/connectors-using (a message whose attachments have
    contentType application/vnd.microsoft.card.adaptive and an
    AdaptiveCard as content) and https://adaptivecards.io/schemas/
  vigil's own webhook: vigild.yaml(5), "The notification".
"""

TEXT = {"type": "object", "required": ["type", "text"],
        "properties": {"type": {"enum": ["plain_text", "mrkdwn"]},
                       "text": {"type": "string", "minLength": 1}}}

SLACK = {
    "type": "object",
    "required": ["blocks"],
    "properties": {
        "text": {"type": "string"},
        "blocks": {
            "type": "array", "minItems": 1, "maxItems": 50,
            "items": {
                "type": "object", "required": ["type"],
                "oneOf": [
                    {"properties": {
                        "type": {"const": "header"},
                        "text": {"allOf": [TEXT, {"properties": {
                            "type": {"const": "plain_text"},
                            "text": {"maxLength": 150}}}]}},
                     "required": ["text"]},
                    {"properties": {
                        "type": {"const": "section"},
                        "text": {"allOf": [TEXT, {"properties": {
                            "text": {"maxLength": 3000}}}]},
                        "fields": {"type": "array", "minItems": 1,
                                   "maxItems": 10,
                                   "items": {"allOf": [TEXT, {
                                       "properties": {"text": {
                                           "maxLength": 2000}}}]}}},
                     "anyOf": [{"required": ["text"]},
                               {"required": ["fields"]}]},
                    {"properties": {
                        "type": {"const": "context"},
                        "elements": {"type": "array", "minItems": 1,
                                     "maxItems": 10, "items": TEXT}},
                     "required": ["elements"]},
                    {"properties": {
                        "type": {"const": "actions"},
                        "elements": {
                            "type": "array", "minItems": 1, "maxItems": 25,
                            "items": {
                                "type": "object",
                                "required": ["type", "text"],
                                "properties": {
                                    "type": {"const": "button"},
                                    "text": {"allOf": [TEXT, {
                                        "properties": {
                                            "type": {"const": "plain_text"},
                                            "text": {"maxLength": 75}}}]},
                                    "url": {"type": "string",
                                            "maxLength": 3000,
                                            "pattern": "^https://"},
                                    "action_id": {"type": "string",
                                                  "maxLength": 255}}}}},
                     "required": ["elements"]},
                ]}}}}

PAGERDUTY = {
    "type": "object",
    "required": ["routing_key", "event_action"],
    "properties": {
        "routing_key": {"type": "string", "minLength": 1},
        "event_action": {"enum": ["trigger", "acknowledge", "resolve"]},
        "dedup_key": {"type": "string", "maxLength": 255},
        "client": {"type": "string"},
        "links": {"type": "array", "items": {
            "type": "object", "required": ["href"],
            "properties": {"href": {"type": "string"},
                           "text": {"type": "string"}}}},
        "payload": {
            "type": "object",
            "required": ["summary", "source", "severity"],
            "properties": {
                "summary": {"type": "string", "minLength": 1,
                            "maxLength": 1024},
                "source": {"type": "string", "minLength": 1},
                "severity": {"enum": ["critical", "error", "warning",
                                      "info"]},
                "timestamp": {"type": "string",
                              "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"},
                "component": {"type": "string"},
                "group": {"type": "string"},
                "class": {"type": "string"},
                "custom_details": {"type": "object"}}}},
    "if": {"properties": {"event_action": {"const": "trigger"}}},
    "then": {"required": ["payload"]},
    "else": {"required": ["dedup_key"]},
}

ADF_TEXT = {"type": "object", "required": ["type", "text"],
            "properties": {"type": {"const": "text"},
                           "text": {"type": "string", "minLength": 1}}}
ADF_PARA = {"type": "object", "required": ["type", "content"],
            "properties": {"type": {"const": "paragraph"},
                           "content": {"type": "array", "items": ADF_TEXT}}}
ADF_DOC = {
    "type": "object", "required": ["type", "version", "content"],
    "properties": {
        "type": {"const": "doc"}, "version": {"const": 1},
        "content": {"type": "array", "items": {"oneOf": [
            ADF_PARA,
            {"type": "object", "required": ["type", "attrs", "content"],
             "properties": {"type": {"const": "heading"},
                            "attrs": {"type": "object",
                                      "required": ["level"],
                                      "properties": {"level": {
                                          "minimum": 1, "maximum": 6}}},
                            "content": {"type": "array",
                                        "items": ADF_TEXT}}},
            {"type": "object", "required": ["type", "content"],
             "properties": {"type": {"const": "bulletList"},
                            "content": {"type": "array", "minItems": 1,
                                        "items": {
                                            "type": "object",
                                            "required": ["type", "content"],
                                            "properties": {
                                                "type": {"const":
                                                         "listItem"},
                                                "content": {
                                                    "type": "array",
                                                    "items": ADF_PARA}}}}}},
        ]}}}}


def jira_create(api):
    desc = ADF_DOC if api == 3 else {"type": "string"}
    return {
        "type": "object", "required": ["fields"],
        "properties": {"fields": {
            "type": "object",
            "required": ["project", "issuetype", "summary"],
            "properties": {
                "project": {"type": "object", "required": ["key"]},
                "issuetype": {"type": "object", "required": ["name"]},
                "summary": {"type": "string", "minLength": 1,
                            "maxLength": 255, "pattern": "^[^\\n\\r]*$"},
                "description": desc,
                "labels": {"type": "array", "items": {
                    "type": "string", "pattern": "^[^ ]+$"}},
                "priority": {"type": "object", "required": ["name"]}}}}}


def jira_comment(api):
    return {"type": "object", "required": ["body"],
            "properties": {"body": ADF_DOC if api == 3 else
                           {"type": "string", "minLength": 1}}}


JIRA_TRANSITION = {"type": "object", "required": ["transition"],
                   "properties": {"transition": {
                       "type": "object", "required": ["id"],
                       "properties": {"id": {"type": "string"}}}}}

TEAMS = {
    "type": "object", "required": ["type", "attachments"],
    "properties": {
        "type": {"const": "message"},
        "attachments": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["contentType", "content"],
            "properties": {
                "contentType": {"const":
                                "application/vnd.microsoft.card.adaptive"},
                "content": {
                    "type": "object",
                    "required": ["type", "version", "body"],
                    "properties": {
                        "type": {"const": "AdaptiveCard"},
                        "version": {"type": "string",
                                    "pattern": "^1\\.[0-9]+$"},
                        "body": {"type": "array", "items": {
                            "type": "object", "required": ["type"],
                            "properties": {"type": {"enum": [
                                "TextBlock", "FactSet", "ColumnSet",
                                "Container", "Image"]}}}},
                        "actions": {"type": "array", "items": {
                            "type": "object",
                            "required": ["type", "title"],
                            "properties": {"type": {"enum": [
                                "Action.OpenUrl"]}}}}}}}}}}}

VIGIL = {
    "type": "object",
    "required": ["schema", "transition", "key"],
    "properties": {
        "schema": {"const": "vigil.notification/1"},
        "transition": {"enum": ["open", "resolve", "excepted",
                                "exception_expired", "test", "digest",
                                "summary"]},
        "key": {"type": "string", "minLength": 1},
        "violation": {"type": "object",
                      "required": ["id", "occurrence", "state",
                                   "evidence"]},
        "rule": {"type": "object", "required": ["id", "severity"],
                 "properties": {"severity": {"enum": [
                     "critical", "high", "medium", "low", "info"]}}},
        "asset": {"type": "object", "required": ["provider", "type", "id"]},
    },
    "allOf": [{
        "if": {"properties": {"transition": {"enum": [
            "open", "resolve", "excepted", "exception_expired", "test"]}}},
        "then": {"required": ["violation", "rule", "asset", "cause",
                              "exception"]}}],
}
