// The built-in schema definitions of shoal, as text compiled into the binary. schema.cc parses
// them once (BuiltinSchemas()) into an immutable tree; nothing else reads them. Internal to the
// schema library.
//
// Format, one definition per `type` line and one field per indented line:
//
//   # comment (a whole line)
//   package io.k8s.api.core.v1        type names below are in this package
//   type NAME [BASE] [FLAGS] [| DESCRIPTION]
//     FIELD TYPE [FLAGS] [| DESCRIPTION]
//     +typemeta                       apiVersion and kind
//     +objectmeta                     metadata (meta.ObjectMeta)
//
// BASE (for named scalar types) is one of string, quantity, int-or-string, object (free-form);
// without it the type is an object with the fields that follow.
// TYPE is a scalar (string, int32, int64, integer, bool, double, number, byte, any), a named
// type (Name, alias.Name or a full dotted name), []TYPE (array) or {}TYPE (map). Aliases: meta,
// core, resource, intstr, runtime (the Kubernetes packages); Quantity and IntOrString name the
// apimachinery types. `any` is a free-form object whose content is kept as is.
// FLAGS: req (required in the enclosing type), gvk=GROUP/VERSION/KIND[,...] (top-level kinds;
// empty group for core), merge=KEY, strategy=S, list=atomic|set|map, keys=A,B, map=atomic|granular,
// enum=A,B, format=F, preserve (x-kubernetes-preserve-unknown-fields).
#pragma once

namespace shoal::api::internal {

extern const char kSchemaDataMeta[];     // meta/v1 and apimachinery types
extern const char kSchemaDataPodSpec[];  // core/v1 PodSpec, Container and what they use
extern const char kSchemaDataVolumes[];  // core/v1 volume sources
extern const char kSchemaDataCore[];     // core/v1 kinds: Pod, Node, Namespace, Event, ...
extern const char kSchemaDataGroups[];   // batch, coordination, scheduling, policy, podgroups
extern const char kSchemaDataCrd[];      // apiextensions.k8s.io/v1

}  // namespace shoal::api::internal
