// Schemas of core/v1 volumes. The sources people use are described field by field; rarely used
// in-tree sources (mostly cloud disks being migrated to CSI) are free-form objects kept as
// written. Format: see schema_data.h.
#include "api/schema_data.h"

namespace shoal::api::internal {

const char kSchemaDataVolumes[] = R"schema(
package io.k8s.api.core.v1

type Volume | A named volume of a pod. Exactly one source field is set.
  awsElasticBlockStore AWSElasticBlockStoreVolumeSource | Deprecated: an AWS EBS disk; use the CSI driver.
  azureDisk any | Deprecated: an Azure data disk; use the CSI driver.
  azureFile any | Deprecated: an Azure file share; use the CSI driver.
  cephfs any | Deprecated: a CephFS mount.
  cinder any | Deprecated: an OpenStack Cinder volume; use the CSI driver.
  configMap ConfigMapVolumeSource | Files made from the keys of a ConfigMap.
  csi CSIVolumeSource | An ephemeral volume from a CSI driver.
  downwardAPI DownwardAPIVolumeSource | Files made from fields of the pod.
  emptyDir EmptyDirVolumeSource | An empty directory that lives as long as the pod.
  ephemeral EphemeralVolumeSource | A PersistentVolumeClaim made for this pod and deleted with it.
  fc any | A Fibre Channel disk.
  flexVolume any | Deprecated: a FlexVolume driver volume.
  flocker any | Deprecated: a Flocker volume.
  gcePersistentDisk GCEPersistentDiskVolumeSource | Deprecated: a GCE persistent disk; use the CSI driver.
  gitRepo GitRepoVolumeSource | Deprecated: a git repository cloned into an empty directory; use an init container.
  glusterfs any | Deprecated: a GlusterFS mount.
  hostPath HostPathVolumeSource | A file or directory of the node. Use with care.
  image ImageVolumeSource | The content of an OCI image or artifact, mounted read-only.
  iscsi ISCSIVolumeSource | An iSCSI disk.
  name string req | Name of the volume, a DNS label unique in the pod.
  nfs NFSVolumeSource | An NFS export.
  persistentVolumeClaim PersistentVolumeClaimVolumeSource | A PersistentVolumeClaim in the pod's namespace.
  photonPersistentDisk any | Deprecated: a Photon Controller disk.
  portworxVolume any | Deprecated: a Portworx volume.
  projected ProjectedVolumeSource | Several sources (secrets, config maps, downward API, tokens) in one directory.
  quobyte any | Deprecated: a Quobyte volume.
  rbd any | Deprecated: a Ceph RBD disk.
  scaleIO any | Deprecated: a ScaleIO volume.
  secret SecretVolumeSource | Files made from the keys of a Secret.
  storageos any | Deprecated: a StorageOS volume.
  vsphereVolume any | Deprecated: a vSphere disk; use the CSI driver.

type EmptyDirVolumeSource | An empty directory for the pod's lifetime.
  medium string | Storage medium: "" (the node's default) or "Memory" (tmpfs).
  sizeLimit Quantity | Most storage the directory may use.

type HostPathVolumeSource | A path on the node.
  path string req | Path on the node; a symlink is followed.
  type string enum=,BlockDevice,CharDevice,Directory,DirectoryOrCreate,File,FileOrCreate,Socket | What the path must be: "", DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice.

type KeyToPath | Maps one key to a file path in a volume.
  key string req | The key.
  mode int32 | Permission bits of the file (octal 0000-0777 or decimal 0-511); defaultMode if unset.
  path string req | Relative path of the file; must not contain "..".

type ConfigMapVolumeSource | A ConfigMap projected as files.
  defaultMode int32 | Permission bits of the files. Default 0644.
  items []KeyToPath list=atomic | Which keys to project and where; all keys, each to a file of its name, if empty.
  name string | Name of the ConfigMap.
  optional bool | If true, the ConfigMap or its keys need not exist.

type SecretVolumeSource | A Secret projected as files.
  defaultMode int32 | Permission bits of the files. Default 0644.
  items []KeyToPath list=atomic | Which keys to project and where; all keys if empty.
  optional bool | If true, the Secret or its keys need not exist.
  secretName string | Name of the Secret in the pod's namespace.

type DownwardAPIVolumeSource | Fields of the pod projected as files.
  defaultMode int32 | Permission bits of the files. Default 0644.
  items []DownwardAPIVolumeFile list=atomic | The files.

type DownwardAPIVolumeFile | One file of pod information.
  fieldRef ObjectFieldSelector | A field of the pod: metadata.name, metadata.namespace, metadata.labels, metadata.annotations.
  mode int32 | Permission bits of the file.
  path string req | Relative path of the file; must not contain "..".
  resourceFieldRef ResourceFieldSelector | A container resource (limits.cpu, requests.memory...).

type ProjectedVolumeSource | Several sources in one directory.
  defaultMode int32 | Permission bits of the files.
  sources []VolumeProjection list=atomic | The sources.

type VolumeProjection | One source of a projected volume. Exactly one field is set.
  clusterTrustBundle ClusterTrustBundleProjection | Certificates of ClusterTrustBundle objects.
  configMap ConfigMapProjection | Keys of a ConfigMap.
  downwardAPI DownwardAPIProjection | Fields of the pod.
  secret SecretProjection | Keys of a Secret.
  serviceAccountToken ServiceAccountTokenProjection | A service account token.

type ConfigMapProjection | Keys of a ConfigMap in a projected volume.
  items []KeyToPath list=atomic | Which keys and where; all keys if empty.
  name string | Name of the ConfigMap.
  optional bool | If true, the ConfigMap or its keys need not exist.

type SecretProjection | Keys of a Secret in a projected volume.
  items []KeyToPath list=atomic | Which keys and where; all keys if empty.
  name string | Name of the Secret.
  optional bool | If true, the Secret or its keys need not exist.

type DownwardAPIProjection | Pod fields in a projected volume.
  items []DownwardAPIVolumeFile list=atomic | The files.

type ServiceAccountTokenProjection | A token of the pod's service account, refreshed by the kubelet.
  audience string | Intended audience of the token; the API server's by default.
  expirationSeconds int64 | Requested lifetime of the token, at least 600. Default 3600.
  path string req | Relative path of the token file.

type ClusterTrustBundleProjection | PEM certificates from ClusterTrustBundle objects, written to one file.
  labelSelector meta.LabelSelector | Bundles matching these labels (with signerName), when name is unset.
  name string | A single bundle by name.
  optional bool | If true, missing bundles make an empty file rather than an error.
  path string req | Relative path of the file.
  signerName string | Bundles of this signer.

type PersistentVolumeClaimVolumeSource | A PersistentVolumeClaim in the pod's namespace.
  claimName string req | Name of the claim.
  readOnly bool | Mount read-only. Default false.

type EphemeralVolumeSource | A volume provisioned for the pod, through a claim made from a template.
  volumeClaimTemplate PersistentVolumeClaimTemplate | Template of the claim, named <pod name>-<volume name>, owned by the pod.

type PersistentVolumeClaimTemplate | Template of a PersistentVolumeClaim.
  metadata meta.ObjectMeta | Labels and annotations copied to the claim.
  spec PersistentVolumeClaimSpec req | Spec of the claim.

type PersistentVolumeClaimSpec | The storage a claim asks for.
  accessModes []string list=atomic | ReadWriteOnce, ReadOnlyMany, ReadWriteMany or ReadWriteOncePod.
  dataSource TypedLocalObjectReference | A VolumeSnapshot or PersistentVolumeClaim to fill the volume from.
  dataSourceRef TypedObjectReference | Any populator object to fill the volume from, possibly in another namespace.
  resources VolumeResourceRequirements | The storage size the claim needs.
  selector meta.LabelSelector | Labels of the volumes that may be bound.
  storageClassName string | Name of the StorageClass.
  volumeAttributesClassName string | Name of the VolumeAttributesClass.
  volumeMode string enum=Block,Filesystem | Filesystem (default) or Block.
  volumeName string | Name of the PersistentVolume to bind to.

type VolumeResourceRequirements | Storage resources of a claim.
  limits {}Quantity | Most storage allowed.
  requests {}Quantity | Least storage needed.

type TypedLocalObjectReference map=atomic | A reference to an object of a given kind in the same namespace.
  apiGroup string | Group of the kind; empty for the core group.
  kind string req | Kind.
  name string req | Name.

type TypedObjectReference | A reference to an object of a given kind.
  apiGroup string | Group of the kind; empty for the core group.
  kind string req | Kind.
  name string req | Name.
  namespace string | Namespace; the claim's by default.

type CSIVolumeSource | An inline ephemeral volume from a CSI driver.
  driver string req | Name of the CSI driver.
  fsType string | Filesystem type, e.g. ext4.
  nodePublishSecretRef LocalObjectReference | Secret passed to the driver's publish calls.
  readOnly bool | Mount read-only. Default false.
  volumeAttributes {}string | Driver-specific attributes.

type NFSVolumeSource | An NFS export.
  path string req | Exported path.
  readOnly bool | Mount read-only. Default false.
  server string req | Host name or IP of the NFS server.

type ImageVolumeSource | An OCI image or artifact mounted read-only.
  pullPolicy string enum=Always,IfNotPresent,Never | Always, Never or IfNotPresent.
  reference string | Image or artifact reference.

type GCEPersistentDiskVolumeSource | A GCE persistent disk.
  fsType string | Filesystem type.
  partition int32 | Partition number; the whole disk if 0.
  pdName string req | Name of the disk.
  readOnly bool | Mount read-only.

type AWSElasticBlockStoreVolumeSource | An AWS EBS disk.
  fsType string | Filesystem type.
  partition int32 | Partition number.
  readOnly bool | Mount read-only.
  volumeID string req | Id of the EBS volume.

type GitRepoVolumeSource | A git repository cloned into a directory.
  directory string | Target directory name.
  repository string req | Repository URL.
  revision string | Commit hash.

type ISCSIVolumeSource | An iSCSI disk.
  chapAuthDiscovery bool | Use CHAP for discovery.
  chapAuthSession bool | Use CHAP for the session.
  fsType string | Filesystem type.
  initiatorName string | Custom initiator name.
  iqn string req | Target IQN.
  iscsiInterface string | iSCSI interface name. Default "default".
  lun int32 req | Target LUN.
  portals []string list=atomic | Other target portals, ip:port.
  readOnly bool | Mount read-only.
  secretRef LocalObjectReference | CHAP secret.
  targetPortal string req | Target portal, ip:port.
)schema";

}  // namespace shoal::api::internal
