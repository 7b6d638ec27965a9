using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Hosting;
using Ferry.Server.Store;

namespace Ferry.Server.Nodes;

/// <summary>Takes an authenticated node's heartbeat: stores its figures and records the status change it brings, if any.</summary>
public sealed class HeartbeatReceiver(IFerryStore store, StatusRecorder recorder, Credentials.CredentialRotationService rotation, ServerOptions options,
    TimeProvider time)
{
    public async Task<HeartbeatResponse> ReceiveAsync(NodeRow node, HeartbeatRequest heartbeat, string? ipAddress, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        // A node that was silent past the threshold but came back before the monitor's sweep noticed still went
        // Offline in between: record that first, so the history never skips an outage.
        if (!node.Stopped && node.RecordedStatus != NodeStatus.Offline
            && NodeStatusRules.Derive(node, now, options.OfflineAfter) == NodeStatus.Offline)
        {
            await recorder.NodeSilentAsync(node, ct);
            node = node with { RecordedStatus = NodeStatus.Offline };
        }

        // One read of the runtime row gives its settings, its credential key state and the node's waiting proxy setting.
        var state = await store.GetHeartbeatStateAsync(node.RuntimeId, node.Id, ct);
        var runtimeVersion = state?.KeyVersion ?? 0;
        var runtimePublicKey = state?.PublicKey;
        var selfContained = state?.Runtime.SelfContainedInteractiveAuthoring ?? false;
        var approvalRequired = state?.Runtime.NodeApprovalRequired ?? false;
        var inSync = NodeStatusRules.CredentialInSync(heartbeat.CredentialKeyVersion, runtimeVersion);
        var relayOk = NodeStatusRules.RelayUsable(heartbeat.RelayConnected, relayRequired: !selfContained);
        // The node's clock as it signed the heartbeat, against the server's: a few seconds of transit make it look behind.
        var skew = (int)Math.Round((heartbeat.Clock - now).TotalSeconds);
        int? clockSkew = Math.Abs(skew) > options.ClockLeewaySeconds ? skew : null;
        var tooOld = NodeStatusRules.TooOld(heartbeat.Version);
        var target = inSync && relayOk && clockSkew is null && !tooOld ? NodeStatus.Online : NodeStatus.Limited;
        var wasUp = (node.RecordedStatus is NodeStatus.Online or NodeStatus.Limited) && !node.Stopped;
        await store.RecordHeartbeatAsync(new HeartbeatUpdate(node.Id, now, heartbeat.Version, heartbeat.StartedAt, Reconnected: !wasUp,
            heartbeat.CpuUtilization, heartbeat.AvailableMemoryMB, heartbeat.ConcurrentJobsRunning, heartbeat.SentBytes,
            heartbeat.ReceivedBytes, ipAddress, heartbeat.LastError, heartbeat.CredentialKeyVersion, inSync ? null : heartbeat.CredentialSyncPublicKey,
            heartbeat.RelayConnected, heartbeat.RelayError, inSync ? null : heartbeat.CredentialSyncSignature, heartbeat.RemoteAccessPort,
            heartbeat.RemoteAccessCertificate, clockSkew), ct);
        if (!wasUp || node.RecordedStatus != target)
        {
            var reasons = new List<string>();
            if (!wasUp)
                reasons.Add(node.Stopped ? "node started" : node.RecordedStatus == NodeStatus.Initializing ? "first heartbeat" : "heartbeat resumed");
            if (!inSync)
                reasons.Add($"credentials out of sync: it holds credential key version {heartbeat.CredentialKeyVersion} of {runtimeVersion} and is getting it from another node" +
                            (approvalRequired ? $", once approved there: dmgcmd -ApproveNode \"{Ferry.Contracts.Credentials.NodeFingerprint.Of(node.PublicKey)}\" on a node that holds the key" : ""));
            if (!relayOk)
                reasons.Add($"relay disconnected ({heartbeat.RelayError ?? "no reason given"}): interactive authoring is unavailable until it reconnects, " +
                            "or until selfContainedInteractiveAuthoringEnabled is set on the runtime");
            if (tooOld)
                reasons.Add(NodeStatusRules.TooOldCause(heartbeat.Version, IntegrationRuntimes.IntegrationRuntimeService.ServerVersion));
            if (clockSkew is { } seconds)
                reasons.Add(NodeStatusRules.ClockSkewCause(seconds, options.ClockLeewaySeconds, options.SignatureLifetimeSeconds));
            if (wasUp && target == NodeStatus.Online)
                reasons.Add(node.CredentialKeyVersion != heartbeat.CredentialKeyVersion ? "credentials in sync"
                    : node.ClockSkewSeconds is not null ? "clock in step with the server's again"
                    : heartbeat.RelayConnected == false ? "relay no longer needed: self-contained interactive authoring is on" : "relay connected");
            if (heartbeat.LastError is { Length: > 0 } error)
                reasons.Add($"while away the node saw: {error}");
            var cause = string.Join("; ", reasons);
            await recorder.NodeChangedAsync(node, target, cause, ct);
        }

        // Credential sync, relayed: a node holding the key is asked to seal it for the nodes that wait; a waiting node
        // gets what was sealed for its current sync key. Only envelopes pass through here.
        IReadOnlyList<CredentialSyncRequest>? requests = null;
        if (runtimeVersion > 0 && heartbeat.CredentialKeyVersion == runtimeVersion)
        {
            requests = (await store.ListCredentialSyncRequestsAsync(node.RuntimeId, ct)).Where(r => r.NodeId != node.Id).ToList();
        }
        // The direct path: a waiting node may fetch the key from holders that opened remote access, on the local network.
        List<CredentialHolder>? holders = null;
        if (!inSync && runtimeVersion > 0)
        {
            holders = (await store.ListNodesAsync(node.RuntimeId, ct))
                .Where(n => n.Id != node.Id && n.CredentialKeyVersion == runtimeVersion && n.RemotePort is not null && n.RemoteCertificate is not null
                            && n.IpAddress is not null && NodeStatusRules.Derive(n, now, options.OfflineAfter) != NodeStatus.Offline)
                .Select(n => new CredentialHolder(n.Name, $"https://{HostOf(n.IpAddress!)}:{n.RemotePort}", n.RemoteCertificate!)).ToList();
        }
        var sealedForNode = !inSync && heartbeat.CredentialSyncPublicKey is { } syncKey && node.SyncPublicKey == syncKey ? node.SealedCredential : null;
        // A proxy setting sent through the control plane: carried until the node answers it took it (or why not). The
        // clear removes only the one answered, so a setting sent since is carried on.
        ProxyDirective? proxy = state?.PendingProxyDirective is { } pending
            ? System.Text.Json.JsonSerializer.Deserialize(pending, Ferry.Contracts.FerryJsonContext.Default.ProxyDirective)
            : null;
        if (heartbeat.AppliedProxyId is { } applied)
        {
            await store.ClearProxyDirectiveAsync(node.Id, applied, ct);
            if (heartbeat.ProxyError is { } proxyError)
                await store.SetNodeLastErrorAsync(node.Id, proxyError, ct);
        }
        return new HeartbeatResponse(options.HeartbeatIntervalSeconds, node.ConcurrentJobsLimit, now, runtimeVersion, runtimePublicKey,
            requests is { Count: > 0 } ? requests : null, sealedForNode, options.RelayUrl ?? options.PublicUrl, selfContained,
            inSync && state is { RotationPending: true } ? await rotation.PendingForAsync(state.Runtime, runtimeVersion, ct) : null,
            approvalRequired, holders is { Count: > 0 } ? holders : null, proxy is not null && proxy.Id != heartbeat.AppliedProxyId ? proxy : null,
            NodeStatusRules.VersionStatus(heartbeat.Version, IntegrationRuntimes.IntegrationRuntimeService.ServerVersion),
            NodeStatusRules.VersionCause(heartbeat.Version, IntegrationRuntimes.IntegrationRuntimeService.ServerVersion));
    }

    private static string HostOf(string ipAddress) =>
        System.Net.IPAddress.TryParse(ipAddress, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && !ip.IsIPv4MappedToIPv6
            ? $"[{ipAddress}]"
            : System.Net.IPAddress.TryParse(ipAddress, out var mapped) && mapped.IsIPv4MappedToIPv6 ? mapped.MapToIPv4().ToString() : ipAddress;
}
