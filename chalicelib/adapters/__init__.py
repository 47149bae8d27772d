"""Adapters: DynamoDB (PynamoDB), SQS, SNS and HTTP callbacks."""
