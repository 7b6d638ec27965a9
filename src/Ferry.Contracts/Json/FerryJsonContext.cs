using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Ferry.Contracts.Keys;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;

namespace Ferry.Contracts;

/// <summary>The source-generated serializer for every wire and resource type: camelCase names, nulls left out.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    PropertyNameCaseInsensitive = true,
    WriteIndented = false)]
[JsonSerializable(typeof(AuthKeyPayload))]
[JsonSerializable(typeof(Problem))]
[JsonSerializable(typeof(RegisterNodeRequest))]
[JsonSerializable(typeof(RegisterNodeResponse))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HeartbeatResponse))]
[JsonSerializable(typeof(NodeSelfCheckRequest))]
[JsonSerializable(typeof(NodeSelfCheck))]
[JsonSerializable(typeof(SupportLogsRequest))]
[JsonSerializable(typeof(ProxyDirective))]
[JsonSerializable(typeof(SupportLogsResponse))]
[JsonSerializable(typeof(StoppingRequest))]
[JsonSerializable(typeof(SealedCredentialRequest))]
[JsonSerializable(typeof(CredentialRotationRequest))]
[JsonSerializable(typeof(DirectSyncRequest))]
[JsonSerializable(typeof(DirectSyncResponse))]
[JsonSerializable(typeof(InteractiveRequest))]
[JsonSerializable(typeof(JobPollRequest))]
[JsonSerializable(typeof(JobPayload))]
[JsonSerializable(typeof(ActivityError))]
[JsonSerializable(typeof(JobLease))]
[JsonSerializable(typeof(JobRenewRequest))]
[JsonSerializable(typeof(JobRenewResponse))]
[JsonSerializable(typeof(JobCompleteRequest))]
[JsonSerializable(typeof(InteractiveResponse))]
[JsonSerializable(typeof(IntegrationRuntimeResource))]
[JsonSerializable(typeof(ResourceList<IntegrationRuntimeResource>))]
[JsonSerializable(typeof(IntegrationRuntimeStatusResponse))]
[JsonSerializable(typeof(IntegrationRuntimeAuthKeys))]
[JsonSerializable(typeof(IntegrationRuntimeRegenerateKeyParameters))]
[JsonSerializable(typeof(IntegrationRuntimeConnectionInfo))]
[JsonSerializable(typeof(IntegrationRuntimeMonitoringData))]
[JsonSerializable(typeof(IntegrationRuntimeNodeIpAddress))]
[JsonSerializable(typeof(SelfHostedIntegrationRuntimeNode))]
[JsonSerializable(typeof(ResourceList<StatusEvent>))]
[JsonSerializable(typeof(FactoryResource))]
[JsonSerializable(typeof(ResourceList<FactoryResource>))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(Dictionary<string, string>))]
public sealed partial class FerryJsonContext : JsonSerializerContext;
