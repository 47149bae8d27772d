"""The Hewei cloud stack (AWS CDK): see infra/README.md."""
