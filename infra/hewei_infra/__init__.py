"""The Hewei cloud stack (AWS CDK): see "Deploying to AWS" in README.md."""
