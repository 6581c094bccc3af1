# variables.tf: inputs of the kubeflow module (passed by live/<org>/<env>/<region>/kubeflow).

variable "cluster_name" {
  description = "Name of the EKS cluster the training stack runs on (labels and resource names)."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9_-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must be 1-100 characters of letters, digits, hyphens and underscores, starting with a letter or digit."
  }
}

variable "enable_training_operator" {
  description = "Install the Kubeflow Training Operator (v1: PyTorchJob, TFJob, …, the API of the kubeflow-training SDK) from training_operator_chart."
  type        = bool
  default     = true
}

variable "training_operator_chart" {
  description = "Path of the Training Operator chart that `platformctl chart training-operator --out charts` packages from the pinned upstream manifests (the unit's hook puts it there before each plan, apply and destroy)."
  type        = string
  default     = "./charts/training-operator.tgz"
}

variable "enable_gpu_operator" {
  description = "Install the NVIDIA GPU operator (device plugin, GPU feature discovery, DCGM exporter) for the GPU node group."
  type        = bool
  default     = true
}

variable "gpu_operator_repository" {
  description = "Helm repository of the NVIDIA gpu-operator chart."
  type        = string
  default     = "https://helm.ngc.nvidia.com/nvidia"
  nullable    = false
}

variable "gpu_operator_version" {
  description = "Version of the NVIDIA gpu-operator chart."
  type        = string
  default     = "v26.7.0"

  validation {
    condition     = can(regex("^v[0-9]+\\.[0-9]+\\.[0-9]+$", var.gpu_operator_version))
    error_message = "gpu_operator_version must be a chart version such as v26.7.0."
  }
}

variable "gpu_operator_device_plugin" {
  description = "Run the GPU operator's NVIDIA device plugin. Off only for node images whose OS runs its own (Bottlerocket NVIDIA)."
  type        = bool
  default     = true
}

variable "gpu_operator_namespace" {
  description = "Namespace of the NVIDIA GPU operator."
  type        = string
  default     = "gpu-operator"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.gpu_operator_namespace))
    error_message = "gpu_operator_namespace must be a Kubernetes namespace name (RFC 1123 label)."
  }
}

variable "enable_fsx_lustre" {
  description = "Create an FSx for Lustre file system linked to fsx_import_bucket for training data."
  type        = bool
  default     = false
}

variable "subnet_id" {
  description = "Private subnet of the FSx for Lustre file system (one availability zone; put the training nodes in the same zone for best throughput)."
  type        = string

  validation {
    condition     = can(regex("^subnet-[0-9a-f]{8,17}$", var.subnet_id))
    error_message = "subnet_id must be a subnet ID (subnet-…)."
  }
}

variable "node_security_group_id" {
  description = "Security group of the cluster nodes; it may reach the FSx for Lustre file system."
  type        = string

  validation {
    condition     = can(regex("^sg-[0-9a-f]{8,17}$", var.node_security_group_id))
    error_message = "node_security_group_id must be a security group ID (sg-…)."
  }
}

variable "fsx_import_bucket" {
  description = "S3 bucket of the training data, linked to the FSx for Lustre file system by a data repository association (created with the file system unless create_fsx_import_bucket is false)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.fsx_import_bucket))
    error_message = "fsx_import_bucket must be an S3 bucket name (3-63 lowercase letters, digits, dots and hyphens)."
  }
}

variable "fsx_import_prefix" {
  description = "Prefix in fsx_import_bucket the file system imports from and exports to (empty: the whole bucket)."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.fsx_import_prefix, "/")
    error_message = "fsx_import_prefix must not start with a slash."
  }
}

variable "fsx_file_system_path" {
  description = "Directory of the file system where the bucket appears."
  type        = string
  default     = "/data"

  validation {
    condition     = can(regex("^/[A-Za-z0-9_./-]*$", var.fsx_file_system_path))
    error_message = "fsx_file_system_path must be an absolute path such as /data."
  }
}

variable "fsx_storage_capacity_gib" {
  description = "Storage capacity of the FSx for Lustre file system in GiB (PERSISTENT_2: 1200 or a multiple of 2400)."
  type        = number
  default     = 1200

  validation {
    condition     = var.fsx_storage_capacity_gib == 1200 || (var.fsx_storage_capacity_gib >= 2400 && var.fsx_storage_capacity_gib % 2400 == 0)
    error_message = "fsx_storage_capacity_gib must be 1200 or a multiple of 2400."
  }
}

variable "fsx_throughput_per_unit" {
  description = "PERSISTENT_2 throughput in MB/s per TiB of storage."
  type        = number
  default     = 125

  validation {
    condition     = contains([125, 250, 500, 1000], var.fsx_throughput_per_unit)
    error_message = "fsx_throughput_per_unit must be 125, 250, 500 or 1000."
  }
}

variable "wait" {
  description = "Wait until the helm releases' workloads are ready before marking them deployed."
  type        = bool
  default     = true
}

variable "timeout_seconds" {
  description = "How long helm waits for each release."
  type        = number
  default     = 600
}

variable "tags" {
  description = "Extra tags for the AWS resources of the module (the provider adds the organisation's default tags)."
  type        = map(string)
  default     = {}
}

variable "fsx_csi_driver_repository" {
  description = "Helm repository of the aws-fsx-csi-driver chart (installed with enable_fsx_lustre)."
  type        = string
  default     = "https://kubernetes-sigs.github.io/aws-fsx-csi-driver"
  nullable    = false
}

variable "fsx_csi_driver_version" {
  description = "Version of the aws-fsx-csi-driver chart."
  type        = string
  default     = "1.17.0"
}

variable "gpu_operator_driver" {
  description = "Let the GPU operator install the NVIDIA driver and container toolkit: on for GPU node images that ship neither (Ubuntu, the OS NVIDIA supports on EKS for this operator), off for the EKS NVIDIA AMIs, which ship both."
  type        = bool
  default     = true
}

variable "region" {
  description = "AWS region of the cluster, for the controllers that call AWS APIs (pods cannot read it from instance metadata)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region such as us-east-1."
  }
}

variable "system_node_selector" {
  description = "Node labels of the pool the platform's controllers run on (the CPU group); empty to let the scheduler choose."
  type        = map(string)
  default     = {}
}

variable "training_in_mesh" {
  description = "Put the kubeflow namespace in the Istio ambient mesh (mTLS between workers through ztunnel); off by default, since NCCL/Gloo traffic between nodes then crosses ztunnel."
  type        = bool
  default     = false
}

variable "helm_readers_group" {
  description = "Kubernetes group of the plan role's access entry, granted get/list of Secrets in this module's release namespaces (ClusterRole platformctl:helm-release-reader of the mesh module); empty: none."
  type        = string
  default     = ""
}

variable "enable_efs" {
  description = "Create an EFS file system (encrypted, a mount target per private subnet) and a StorageClass for ReadWriteMany volumes; the EFS CSI driver must be installed (eks add-on or mesh chart)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of the cluster (for the EFS mount targets' security group)."
  type        = string
  default     = ""

  validation {
    condition     = var.vpc_id == "" || can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the cluster: one EFS mount target each."
  type        = list(string)
  default     = []
}

variable "efs_storage_class_name" {
  description = "Name of the EFS StorageClass."
  type        = string
  default     = "efs"
}

variable "create_fsx_import_bucket" {
  description = "Create fsx_import_bucket (versioned, SSE-S3 encrypted, public access blocked) with the FSx for Lustre file system; off to link a bucket that already exists."
  type        = bool
  default     = true
}

variable "fsx_log_retention_days" {
  description = "Days CloudWatch keeps the FSx for Lustre file system's logs (log group /aws/fsx/<cluster_name>-training-data)."
  type        = number
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.fsx_log_retention_days)
    error_message = "fsx_log_retention_days must be a retention CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653)."
  }
}
