using System.Text.Json.Nodes;

namespace Ferry.Contracts.Resources;

/// <summary>An integration runtime as ADF returns it; <see cref="Properties"/> keeps every property the user sent, known or not.</summary>
public sealed record IntegrationRuntimeResource(string Id, string Name, string Type, string Etag, JsonObject Properties)
{
    public const string ResourceType = "Microsoft.DataFactory/factories/integrationruntimes";
}

/// <summary>ADF's list envelope.</summary>
public sealed record ResourceList<T>(IReadOnlyList<T> Value);

/// <summary>The runtime types Ferry runs.</summary>
public static class IntegrationRuntimeType
{
    public const string SelfHosted = "SelfHosted";
    public const string Managed = "Managed";
    public static readonly IReadOnlyList<string> All = [SelfHosted, Managed];
}

/// <summary>A linked service or dataset as ADF returns it; <see cref="Properties"/> is the document as sent.</summary>
public sealed record FactoryResource(string Id, string Name, string Type, string Etag, JsonObject Properties);
