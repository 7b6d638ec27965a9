using Ferry.Contracts.Resources;

namespace Ferry.Server.Store;

/// <summary>The control plane's persistent state. One contract, two implementations (SQLite, PostgreSQL), one test suite.</summary>
public partial interface IFerryStore
{
    /// <summary>Creates or migrates the schema to the version this server needs.</summary>
    Task MigrateAsync(CancellationToken ct);

    Task<bool> FactoryExistsAsync(string factory, CancellationToken ct);
    Task EnsureFactoryAsync(string factory, DateTimeOffset now, CancellationToken ct);

    Task<RuntimeRow?> GetRuntimeAsync(string factory, string name, CancellationToken ct);
    Task<RuntimeRow?> GetRuntimeByIdAsync(Guid id, CancellationToken ct);
    /// <summary>
    /// The runtime with its credential key state and the proxy directive waiting for the node, in one query: what every
    /// heartbeat needs.
    /// </summary>
    Task<RuntimeCredentialState?> GetHeartbeatStateAsync(Guid runtimeId, Guid nodeId, CancellationToken ct);
    Task<IReadOnlyList<RuntimeRow>> ListRuntimesAsync(string factory, CancellationToken ct);
    Task InsertRuntimeAsync(RuntimeRow runtime, CancellationToken ct);
    Task UpdateRuntimeAsync(RuntimeRow runtime, CancellationToken ct);
    /// <summary>Deletes the runtime with its nodes and remembers it as deleted.</summary>
    Task DeleteRuntimeAsync(RuntimeRow runtime, DateTimeOffset now, CancellationToken ct);
    Task<DeletedRuntimeRow?> GetDeletedRuntimeAsync(Guid id, CancellationToken ct);
    Task SetRuntimeRecordedStateAsync(Guid runtimeId, string state, CancellationToken ct);
    /// <summary>The node that is the active dispatcher by the recorded statuses (the longest-registered Online node), without reading every node.</summary>
    Task<string?> GetDispatcherByRecordedStatusAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>The node last recorded as the runtime's active dispatcher (null: none).</summary>
    Task<string?> GetRuntimeDispatcherAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>Records a new active dispatcher if the recorded one is still <paramref name="expected"/>; false when another server instance did first.</summary>
    Task<bool> SetRuntimeDispatcherAsync(Guid runtimeId, string? expected, string? dispatcher, CancellationToken ct);

    Task<NodeRow?> GetNodeAsync(Guid nodeId, CancellationToken ct);
    Task<NodeRow?> GetNodeByNameAsync(Guid runtimeId, string name, CancellationToken ct);
    Task<IReadOnlyList<NodeRow>> ListNodesAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>The last recorded status of each of the runtime's nodes, one entry per node; cheap enough to run on every change.</summary>
    Task<IReadOnlyList<string>> ListNodeRecordedStatusesAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>Inserts the node unless the runtime already has <paramref name="maxNodes"/> nodes; false when full.</summary>
    Task<bool> InsertNodeAsync(NodeRow node, int maxNodes, CancellationToken ct);
    /// <summary>Replaces a node's identity and figures when the same machine registers again under its name.</summary>
    Task ReplaceNodeAsync(NodeRow node, CancellationToken ct);
    Task RecordHeartbeatAsync(HeartbeatUpdate heartbeat, CancellationToken ct);
    Task MarkStoppedAsync(Guid nodeId, DateTimeOffset at, CancellationToken ct);
    Task SetNodeLastErrorAsync(Guid nodeId, string? error, CancellationToken ct);
    Task SetConcurrentJobsLimitAsync(Guid nodeId, int limit, CancellationToken ct);
    Task SetNodeRecordedStatusAsync(Guid nodeId, string status, CancellationToken ct);
    Task DeleteNodeAsync(Guid nodeId, CancellationToken ct);
    /// <summary>Nodes recorded as up whose last sign of life is older than <paramref name="cutoff"/>.</summary>
    Task<IReadOnlyList<NodeRow>> ListSilentNodesAsync(DateTimeOffset cutoff, CancellationToken ct);

    Task AddStatusEventAsync(Guid runtimeId, StatusEvent statusEvent, CancellationToken ct);
    Task<IReadOnlyList<StatusEvent>> ListStatusEventsAsync(Guid runtimeId, int limit, CancellationToken ct);

    /// <summary>Makes <paramref name="publicKey"/> the runtime's credential key (version 1) unless it already has one; true when adopted.</summary>
    Task<bool> AdoptCredentialKeyAsync(Guid runtimeId, string publicKey, CancellationToken ct);
    /// <summary>The runtime's credential key, or null while no node has provided one.</summary>
    Task<(int Version, string PublicKey)?> GetCredentialKeyAsync(Guid runtimeId, CancellationToken ct);

    /// <summary>Nodes of the runtime waiting for the credential key: their one-off sync keys, where nothing is sealed for them yet.</summary>
    Task<IReadOnlyList<Ferry.Contracts.Protocol.CredentialSyncRequest>> ListCredentialSyncRequestsAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>Drops envelopes sealed for waiting nodes of the runtime, so that holders seal the key for them again; the count dropped.</summary>
    Task<int> ResetSealedCredentialsAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>Keeps an envelope sealed for the node, if the node still waits with that sync key; false otherwise.</summary>
    Task<bool> SetSealedCredentialAsync(Guid nodeId, string syncPublicKey, string envelope, CancellationToken ct);

    /// <summary>Notes that the runtime's credential key must be rotated (a node was removed); nothing when it has no key.</summary>
    Task MarkCredentialRotationPendingAsync(Guid runtimeId, CancellationToken ct);
    Task<bool> IsCredentialRotationPendingAsync(Guid runtimeId, CancellationToken ct);
    /// <summary>
    /// In one transaction: the runtime's key moves from <paramref name="fromVersion"/> to the next version with
    /// <paramref name="newPublicKey"/>, each linked service's encryptedCredential is swapped where it still holds the old
    /// envelope, and envelopes sealed for waiting nodes are dropped. False, with nothing changed, when anything moved meanwhile.
    /// </summary>
    Task<bool> RotateCredentialKeyAsync(Guid runtimeId, int fromVersion, string newPublicKey, IReadOnlyList<Ferry.Contracts.Protocol.ResealedCredential> resealed,
        string etag, CancellationToken ct);

    Task<FactoryResourceRow?> GetResourceAsync(string factory, string kind, string name, CancellationToken ct);
    Task<IReadOnlyList<FactoryResourceRow>> ListResourcesAsync(string factory, string kind, CancellationToken ct);
    /// <summary>Inserts or replaces the resource of that kind and name (case-insensitive), keeping its original creation time.</summary>
    Task UpsertResourceAsync(FactoryResourceRow resource, CancellationToken ct);
    Task<bool> DeleteResourceAsync(string factory, string kind, string name, CancellationToken ct);
}
