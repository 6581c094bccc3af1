# outputs.tf: where training jobs run and where their data lives.

output "namespace" {
  description = "Namespace of the Training Operator and the training jobs (in the Istio ambient mesh only with training_in_mesh)."
  value       = kubernetes_namespace_v1.kubeflow.metadata[0].name
}

output "training_operator_version" {
  description = "Chart version (= Training Operator release) installed, null when enable_training_operator is off."
  value       = var.enable_training_operator ? helm_release.training_operator[0].metadata.version : null
}

output "gpu_operator_namespace" {
  description = "Namespace of the NVIDIA GPU operator (null when enable_gpu_operator is off)."
  value       = var.enable_gpu_operator ? helm_release.gpu_operator[0].namespace : null
}

output "fsx_file_system_id" {
  description = "ID of the FSx for Lustre file system (null when enable_fsx_lustre is off)."
  value       = var.enable_fsx_lustre ? aws_fsx_lustre_file_system.this[0].id : null
}

output "fsx_dns_name" {
  description = "DNS name to mount the FSx for Lustre file system (null when enable_fsx_lustre is off)."
  value       = var.enable_fsx_lustre ? aws_fsx_lustre_file_system.this[0].dns_name : null
}

output "fsx_mount_name" {
  description = "Lustre mount name of the file system, for the FSx CSI driver's static PersistentVolume (null when enable_fsx_lustre is off)."
  value       = var.enable_fsx_lustre ? aws_fsx_lustre_file_system.this[0].mount_name : null
}

output "fsx_data_path" {
  description = "Path inside the file system where fsx_import_bucket appears (null when enable_fsx_lustre is off)."
  value       = var.enable_fsx_lustre ? var.fsx_file_system_path : null
}

output "fsx_security_group_id" {
  description = "Security group of the FSx for Lustre file system (null when enable_fsx_lustre is off)."
  value       = var.enable_fsx_lustre ? aws_security_group.fsx[0].id : null
}

output "efs_file_system_id" {
  description = "ID of the shared EFS file system (null when enable_efs is off)."
  value       = var.enable_efs ? aws_efs_file_system.this[0].id : null
}

output "efs_storage_class" {
  description = "Name of the EFS StorageClass (null when enable_efs is off)."
  value       = var.enable_efs ? kubernetes_storage_class_v1.efs[0].metadata[0].name : null
}
