"""The local sandbox: services on 127.0.0.1 that stand in for AWS and EKS."""
