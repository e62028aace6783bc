// Schema of apiextensions.k8s.io/v1 CustomResourceDefinition. The OpenAPI schema inside a
// version (schema.openAPIV3Schema) is free-form here: SchemaFromCrd checks and reads it. Format:
// see schema_data.h.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataCrd[] = R"schema(
package io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1

type CustomResourceDefinition gvk=apiextensions.k8s.io/v1/CustomResourceDefinition | Adds a resource type to the API server. Its name must be <plural>.<group>.
  +typemeta
  +objectmeta
  spec CustomResourceDefinitionSpec req | The resource type.
  status CustomResourceDefinitionStatus | Observed state of the definition. Read-only.

type CustomResourceDefinitionSpec | The description of a custom resource type.
  conversion CustomResourceConversion | How objects are converted between versions.
  group string req | API group of the resource, e.g. stable.example.com.
  names CustomResourceDefinitionNames req | Names of the resource and its kind.
  preserveUnknownFields bool | Deprecated; must be false: unknown fields are pruned.
  scope string req | Namespaced or Cluster.
  versions []CustomResourceDefinitionVersion req list=atomic | Served versions. Exactly one is the storage version.

type CustomResourceDefinitionNames | The names of a custom resource.
  categories []string list=atomic | Groups of resources this one belongs to, e.g. all.
  kind string req | Kind, CamelCase and singular.
  listKind string | Kind of a list; <kind>List by default.
  plural string req | Plural name, lower case; used in URLs.
  shortNames []string list=atomic | Short names for kubectl.
  singular string | Singular name, lower case; the lower-cased kind by default.

type CustomResourceDefinitionVersion | One version of a custom resource.
  additionalPrinterColumns []CustomResourceColumnDefinition list=atomic | Extra columns that kubectl get prints.
  deprecated bool | Mark the version deprecated; requests get a warning.
  deprecationWarning string | Warning text for a deprecated version.
  name string req | Version name, e.g. v1, v1beta1.
  schema CustomResourceValidation | Schema of objects in this version.
  selectableFields []SelectableField list=atomic | Fields usable in field selectors.
  served bool req | Whether the version is served.
  storage bool req | Whether objects are stored in this version. Exactly one version is.
  subresources CustomResourceSubresources | Subresources of the version.

type CustomResourceValidation | The schema of a version.
  openAPIV3Schema JSONSchemaProps | A structural OpenAPI v3 schema.

type JSONSchemaProps object | A JSON schema (OpenAPI v3 subset): type, properties, items, required, additionalProperties, enum, x-kubernetes-* extensions.

type CustomResourceSubresources | Subresources of a custom resource.
  scale CustomResourceSubresourceScale | Enables the scale subresource.
  status CustomResourceSubresourceStatus | Enables the status subresource: the main resource ignores status changes and the other way round.

type CustomResourceSubresourceStatus | Enables the status subresource. Has no fields.

type CustomResourceSubresourceScale | The scale subresource, mapped onto fields of the object.
  labelSelectorPath string | JSON path of the serialized label selector, under .status or .spec.
  specReplicasPath string req | JSON path of the desired replica count, under .spec.
  statusReplicasPath string req | JSON path of the observed replica count, under .status.

type CustomResourceColumnDefinition | A column kubectl get prints.
  description string | Column description.
  format string | Format hint of the values, e.g. int32, date-time.
  jsonPath string req | Simple JSON path of the value in each object.
  name string req | Column header.
  priority int32 | 0 for the standard view; higher only with -o wide.
  type string req | OpenAPI type of the values: integer, number, string, boolean, date.

type SelectableField | A field usable in field selectors.
  jsonPath string req | Simple JSON path of the field.

type CustomResourceConversion | How objects are converted between versions.
  strategy string req | None (only apiVersion changes) or Webhook.
  webhook WebhookConversion | The webhook, for the Webhook strategy.

type WebhookConversion | A conversion webhook.
  clientConfig WebhookClientConfig | How to call it.
  conversionReviewVersions []string req list=atomic | ConversionReview versions the webhook accepts, in order of preference.

type WebhookClientConfig | How to reach a webhook.
  caBundle byte | PEM CA bundle to verify the server certificate.
  service ServiceReference | A service in the cluster.
  url string | URL of the webhook, https://host[:port]/path.

type ServiceReference | A service reference.
  name string req | Service name.
  namespace string req | Service namespace.
  path string | URL path.
  port int32 | Port. Default 443.

type CustomResourceDefinitionStatus | The observed state of a definition.
  acceptedNames CustomResourceDefinitionNames | Names actually served; may differ from spec.names while a conflict lasts.
  conditions []CustomResourceDefinitionCondition list=map keys=type | Conditions: Established, NamesAccepted, Terminating...
  storedVersions []string list=atomic | Versions objects have ever been stored in.

type CustomResourceDefinitionCondition | One condition of a definition.
  lastTransitionTime meta.Time | When the status last changed.
  message string | Human-readable detail.
  reason string | CamelCase reason for the last transition.
  status string req | True, False or Unknown.
  type string req | Type of the condition.
)schema";

}  // namespace shoal::api::internal
