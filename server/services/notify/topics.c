/* What each outbox topic becomes: who is told, by which channels unless they chose otherwise,
 * whether it is a security notice (always sent, at once), and its words. An event whose topic
 * is not here (accounting's, most of ticket's) is routed to nobody. The table is sorted by
 * topic; ListTopics shows it as is. */
#include <stdlib.h>
#include <string.h>

#include "services/notify/notify.h"

static const notify_topic topics[] = {
    {"account.deletion_blocked", "Your account could not be deleted yet", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL,
     true, "Your {{brand_name}} account was not deleted yet",
     "Your account was due to be deleted, but it still owns organisations, so it was kept for now. Hand them over "
     "to another owner, or delete them, and the deletion goes ahead.",
     "Open my account", "/account"},
    {"account.deletion_cancelled", "Account deletion cancelled", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL, true,
     "Your {{brand_name}} account will not be deleted",
     "The deletion of your account was cancelled; it stays as it is. If you did not cancel it, change your "
     "password now.",
     "Open my account", "/account"},
    {"account.deletion_scheduled", "Account deletion scheduled", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL, true,
     "Your {{brand_name}} account will be deleted",
     "You asked for your account to be deleted. It will be deleted at {{due_at}}; until then you can sign in and "
     "cancel. If you did not ask for this, sign in and cancel now.",
     "Keep my account", "/account"},
    {"account.email_change", "Confirm a new sign-in address", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL, true,
     "Confirm your new {{brand_name}} address",
     "Someone asked to use this address to sign in to {{brand_name}}. If it was you, confirm it; if not, ignore "
     "this mail and nothing changes.",
     "Confirm this address", "/account/confirm-email?token={{token}}"},
    {"account.email_change_attempted", "Someone tried to take your address", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL,
     NOTIFY_EMAIL, true, "Someone tried to use your address on {{brand_name}}",
     "Another account asked to change its sign-in address to yours. Nothing changed: this address stays yours. "
     "If that was you, you already have an account; sign in with it.",
     "Sign in", "/login"},
    {"account.email_changed", "Your sign-in address changed", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL, true,
     "Your {{brand_name}} sign-in address changed",
     "The sign-in address of your account is now {{new_email_hint}}. If you did not change it, tell us at "
     "{{report_to}} at once.",
     "", ""},
    {"account.password_reset", "Password reset", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL, true,
     "Reset your {{brand_name}} password",
     "Someone, hopefully you, asked to reset the password of your account. The link works once and for a short "
     "time. If it was not you, ignore this mail: your password stays as it is.",
     "Choose a new password", "/reset-password?token={{token}}"},
    {"account.signup_attempted", "Someone tried to sign up with your address", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL,
     NOTIFY_EMAIL, true, "You already have a {{brand_name}} account",
     "Someone tried to create an account with this address, which already has one. If it was you, sign in or "
     "reset your password instead. If not, you can ignore this mail.",
     "Sign in", "/login"},
    {"account.verify_email", "Confirm your address after signing up", NOTIFY_TO_ACCOUNT, NOTIFY_EMAIL, NOTIFY_EMAIL,
     true, "Confirm your address for {{brand_name}}",
     "Welcome to {{brand_name}}. Confirm that this address is yours to finish signing up.", "Confirm my address",
     "/verify-email?token={{token}}"},
    {"tenant.invitation", "An invitation to join an organisation", NOTIFY_TO_INVITEE, NOTIFY_EMAIL, NOTIFY_EMAIL, false,
     "{{tenant_name}} invited you to {{brand_name}}",
     "You are invited to join {{tenant_name}} on {{brand_name}} as {{role}}. The invitation is valid until "
     "{{expires_at}}.",
     "Accept the invitation", "/invitations/accept?token={{token}}"},
    {"ticket.assigned", "A ticket was assigned to you", NOTIFY_TO_ASSIGNEE, NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH,
     NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH, false, "Ticket #{{number}} was assigned to you",
     "Ticket #{{number}} ({{subject}}) is yours now.", "Open the ticket", "/tickets/{{number}}"},
    {"ticket.commented", "A comment on a ticket of yours", NOTIFY_TO_ASSIGNEE,
     NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH, NOTIFY_IN_APP, false, "New comment on ticket #{{number}}",
     "Ticket #{{number}} ({{subject}}) has a new comment.", "Open the ticket", "/tickets/{{number}}"},
    {"ticket.sla_breach", "A ticket of yours missed its SLA", NOTIFY_TO_ASSIGNEE,
     NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH, NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH, false,
     "Ticket #{{number}} missed its SLA", "Ticket #{{number}} ({{subject}}) is past its SLA target.", "Open the ticket",
     "/tickets/{{number}}"},
    {"ticket.sla_warning", "A ticket of yours is close to its SLA", NOTIFY_TO_ASSIGNEE,
     NOTIFY_IN_APP | NOTIFY_EMAIL | NOTIFY_PUSH, NOTIFY_IN_APP, false, "Ticket #{{number}} is close to its SLA target",
     "Ticket #{{number}} ({{subject}}) will miss its SLA target soon.", "Open the ticket", "/tickets/{{number}}"},
};

#define N_TOPICS (sizeof topics / sizeof topics[0])

static int by_topic(const void *key, const void *item) { return strcmp(key, ((const notify_topic *)item)->topic); }

const notify_topic *notify_topic_find(const char *topic) {
  return topic ? bsearch(topic, topics, N_TOPICS, sizeof topics[0], by_topic) : NULL;
}

const notify_topic *notify_topics(size_t *n) {
  *n = N_TOPICS;
  return topics;
}

const char *notify_channel_text(unsigned channel) {
  return channel == NOTIFY_IN_APP  ? "in_app"
         : channel == NOTIFY_EMAIL ? "email"
         : channel == NOTIFY_PUSH  ? "push"
                                   : NULL;
}

unsigned notify_channel_parse(const char *text) {
  return !text                     ? 0
         : !strcmp(text, "in_app") ? NOTIFY_IN_APP
         : !strcmp(text, "email")  ? NOTIFY_EMAIL
         : !strcmp(text, "push")   ? NOTIFY_PUSH
                                   : 0;
}

unsigned notify_channel_of_enum(int channel) {
  return channel == HUB__NOTIFY__V1__CHANNEL__CHANNEL_IN_APP  ? NOTIFY_IN_APP
         : channel == HUB__NOTIFY__V1__CHANNEL__CHANNEL_EMAIL ? NOTIFY_EMAIL
         : channel == HUB__NOTIFY__V1__CHANNEL__CHANNEL_PUSH  ? NOTIFY_PUSH
                                                              : 0;
}

int notify_channel_enum(unsigned channel) {
  return channel == NOTIFY_IN_APP  ? HUB__NOTIFY__V1__CHANNEL__CHANNEL_IN_APP
         : channel == NOTIFY_EMAIL ? HUB__NOTIFY__V1__CHANNEL__CHANNEL_EMAIL
         : channel == NOTIFY_PUSH  ? HUB__NOTIFY__V1__CHANNEL__CHANNEL_PUSH
                                   : HUB__NOTIFY__V1__CHANNEL__CHANNEL_UNSPECIFIED;
}
