/* A user's devices for push notifications: RegisterDevice (the same token again updates its
 * platform and label, and moves it to the caller: a phone signed in by someone else now), and
 * ListDevices and DeleteDevice of the caller's own. A device is the user's, not a tenant's
 * (one account reaches every tenant): row-level security shows a user their own only. The
 * token is never answered back. */
#include <string.h>

#include "hub/enum_text.h"
#include "services/notify/notify.h"

#define DEVICE_COLUMNS "v.id, v.platform, v.label, v.created_at AS create_time, v.last_used_at AS last_used_time"

/* A token another user had registered becomes the caller's; the worker scope lets the upsert
 * see (and take over) that row, and only for this one statement's transaction. */

static const hub_pg_stmt register_sql = {
    "notify_device_register",
    "INSERT INTO notify_devices AS v (user_id, token, platform, label) VALUES (hub_current_user(), $1, $2, $3) "
    "ON CONFLICT (token) DO UPDATE SET user_id = EXCLUDED.user_id, platform = EXCLUDED.platform, "
    "label = EXCLUDED.label RETURNING " DEVICE_COLUMNS,
    3};

static const hub_pg_stmt list_sql = {
    "notify_device_list",
    "SELECT " DEVICE_COLUMNS " FROM notify_devices v WHERE v.user_id = hub_current_user() ORDER BY v.id DESC LIMIT 100",
    0};

static const hub_pg_stmt delete_sql = {
    "notify_device_delete",
    "DELETE FROM notify_devices v WHERE v.user_id = hub_current_user() AND v.id = $1::uuid RETURNING 1 AS _gone", 1};

typedef struct register_ctx {
  const char *const *params;
  hub_rows *row;
} register_ctx;

static hub_status register_fn(hub_tx *tx, void *ud) {
  register_ctx *c = ud;
  hub_tx_exec(tx, &notify_scope_sql, NULL);
  c->row = hub_tx_exec(tx, &register_sql, c->params);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_register_device(hub_call *call, const Hub__Notify__V1__RegisterDeviceRequest *request,
                                                Hub__Notify__V1__Device *response) {
  hub_arena *a = hub_call_arena(call);
  const char *platform = hub_enum_to_text(a, &hub__notify__v1__platform__descriptor, (int)request->platform);
  register_ctx c = {(const char *[]){request->token, platform, request->label}, NULL};
  hub_status st = hub_call_tx(call, register_fn, &c);
  if (!hub_ok(st)) return st;
  hub_rows_decode(c.row, 0, &response->base);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_list_devices(hub_call *call, const Hub__Notify__V1__ListDevicesRequest *request,
                                             Hub__Notify__V1__ListDevicesResponse *response) {
  (void)request;
  hub_rows *rows;
  hub_status st = hub_call_query(call, &list_sql, NULL, &rows);
  if (!hub_ok(st)) return st;
  response->n_devices = hub_rows_messages(rows, &hub__notify__v1__device__descriptor, -1, (void ***)&response->devices);
  return HUB_STATUS_OK;
}

hub_status hub_notify_v1_notify_delete_device(hub_call *call, const Hub__Notify__V1__DeleteDeviceRequest *request,
                                              Hub__Notify__V1__DeleteDeviceResponse *response) {
  (void)response;
  hub_rows *rows;
  hub_status st = hub_call_query(call, &delete_sql, (const char *[]){request->id}, &rows);
  if (!hub_ok(st)) return st;
  if (hub_rows_count(rows) == 0) return hub_status_new(hub_call_arena(call), HUB_NOT_FOUND, "id: no such device");
  return HUB_STATUS_OK;
}
