namespace Ferry.Server.Store;

/// <summary>
/// A factory resource kept as the document the user sent (linked services, datasets): the kind, the name and the
/// <c>properties</c> object, whole, so that properties Ferry does not know survive a round trip.
/// </summary>
public sealed record FactoryResourceRow(string Factory, string Kind, string Name, string PropertiesJson, string Etag, DateTimeOffset CreatedAt);
