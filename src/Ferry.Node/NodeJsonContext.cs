using System.Text.Json.Serialization;
using Ferry.Node.Backup;
using Ferry.Node.Credentials;
using Ferry.Node.Identity;
using Ferry.Node.Heartbeats;

namespace Ferry.Node;

/// <summary>The node's own files and admin answers, source-generated.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    WriteIndented = true)]
[JsonSerializable(typeof(NodeIdentity))]
[JsonSerializable(typeof(NodeStatusReport))]
[JsonSerializable(typeof(CredentialMaterial))]
[JsonSerializable(typeof(BackupFile))]
[JsonSerializable(typeof(BackupContent))]
[JsonSerializable(typeof(Settings.NodeSettings))]
[JsonSerializable(typeof(Registration.LastRegistrationRecord))]
[JsonSerializable(typeof(Diagnostics.DiagnosisReport))]
public sealed partial class NodeJsonContext : JsonSerializerContext;
