// Prints the ARN STS returns for the credentials the SDK's default provider chain finds
// (AWS_PROFILE -> ~/.aws/config -> credential_process), as an IDE plug-in or app would.
import { STSClient, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";

const client = new STSClient({ region: "us-east-1", credentials: fromNodeProviderChain() });
const out = await client.send(new GetCallerIdentityCommand({}));
console.log(out.Arn);
