/* C names for protobuf entities, computed exactly as protoc-c computes them, so that our
 * generated code can name protobuf-c's types and descriptors. */
#ifndef HUB_GEN_NAMES_H
#define HUB_GEN_NAMES_H

/* "GetInfoRequest" -> "get_info_request" (protobuf-c's CamelToLower). malloc'd. */
char *name_camel_to_lower(const char *name);
/* "hub.system.v1.GetInfoRequest" (leading dot allowed) -> "Hub__System__V1__GetInfoRequest". */
char *name_full_to_c_type(const char *full);
/* "hub.system.v1.GetInfoRequest" -> "hub__system__v1__get_info_request". */
char *name_full_to_c_lower(const char *full);
/* "hub/system/v1/system.proto" -> "hub/system/v1/system" */
char *name_file_stem(const char *proto_path);
/* The C identifier base of a service: package dots -> '_', a leading "hub." dropped, then
 * "_" + lower(service): "hub.system.v1" + "System" -> "system_v1_system";
 * "grpc.testing" + "TestService" -> "grpc_testing_test_service". */
char *name_service_base(const char *package, const char *service);

#endif
