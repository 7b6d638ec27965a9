namespace Ferry.Server.Store;

/// <summary>A recorded status change with where it happened (for alert rules).</summary>
public sealed record StatusEventRow(long Id, Guid RuntimeId, string Factory, string Runtime, string? NodeName, string Status, string Cause, DateTimeOffset At);

/// <summary>One webhook call an alert rule owes: Pending until delivered (Delivered) or out of attempts (Failed).</summary>
public sealed record AlertDeliveryRow(string Id, string Factory, string Rule, string PayloadJson, string Status, int Attempts, DateTimeOffset NextAt,
    string? LastError, DateTimeOffset CreatedAt);

/// <summary>Logs a node sent for support.</summary>
public sealed record SupportLogRow(string Id, string Factory, string Runtime, string NodeName, DateTimeOffset At, string Content);

public partial interface IFerryStore
{
    Task InsertSupportLogAsync(SupportLogRow log, CancellationToken ct);

    Task SetProxyDirectiveAsync(Guid nodeId, string id, string directiveJson, CancellationToken ct);

    /// <summary>Removes the node's directive if it is still the one with <paramref name="id"/> (a newer one stays).</summary>
    Task ClearProxyDirectiveAsync(Guid nodeId, string id, CancellationToken ct);

    Task<SupportLogRow?> GetSupportLogAsync(string factory, string id, CancellationToken ct);

    Task<IReadOnlyList<string>> ListFactoriesAsync(CancellationToken ct);

    Task<long> GetLastStatusEventIdAsync(CancellationToken ct);

    /// <summary>Status changes recorded after <paramref name="afterId"/>, oldest first (runtimes deleted since are left out).</summary>
    Task<IReadOnlyList<StatusEventRow>> ListStatusEventsAfterAsync(long afterId, int limit, CancellationToken ct);

    /// <summary>The status recorded for the runtime (node null) or node just before event <paramref name="beforeId"/>.</summary>
    Task<string?> GetStatusBeforeAsync(Guid runtimeId, string? nodeName, long beforeId, CancellationToken ct);

    /// <summary>Adds a delivery unless one with its id exists; true when added.</summary>
    Task<bool> InsertAlertDeliveryAsync(AlertDeliveryRow delivery, CancellationToken ct);

    Task<IReadOnlyList<AlertDeliveryRow>> ListDueAlertDeliveriesAsync(DateTimeOffset now, CancellationToken ct);

    Task<IReadOnlyList<AlertDeliveryRow>> ListAlertDeliveriesAsync(string factory, string rule, int limit, CancellationToken ct);

    /// <summary>Takes a due delivery for this instance by moving its next attempt on; false when another instance took it.</summary>
    Task<bool> ClaimAlertDeliveryAsync(string id, DateTimeOffset expectedNextAt, DateTimeOffset claimUntil, CancellationToken ct);

    Task UpdateAlertDeliveryAsync(string id, string status, int attempts, DateTimeOffset nextAt, string? lastError, CancellationToken ct);
}
