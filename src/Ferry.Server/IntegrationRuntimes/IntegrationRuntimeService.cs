using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts;
using Ferry.Contracts.Keys;
using Ferry.Contracts.Names;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Server.Api;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Hosting;
using Ferry.Server.Keys;
using Ferry.Server.Nodes;
using Ferry.Server.Store;

namespace Ferry.Server.IntegrationRuntimes;

/// <summary>The integration runtime operations of ADF's REST API, over the store.</summary>
public sealed class IntegrationRuntimeService(
    IFerryStore store, AuthKeyIssuer keys, StatusRecorder recorder, FactoryResourceService resources, ServerOptions options, TimeProvider time)
{
    public static readonly string ServerVersion = typeof(IntegrationRuntimeService).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public async Task<(IntegrationRuntimeResource Resource, bool Created)> CreateOrUpdateAsync(
        string factory, string name, JsonObject body, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        if (ResourceName.Validate(name, "integration runtime name") is { } nameError)
            throw FerryException.BadRequest(ErrorCodes.InvalidName, nameError);
        JsonRead.CheckBodyName(body, name);

        var properties = JsonRead.RequiredObject(body, "properties", "properties");
        var canonicalType = JsonRead.RequiredType(properties, IntegrationRuntimeType.All, "Integration runtime", ErrorCodes.UnsupportedRuntimeType);
        JsonRead.OptionalString(properties, "description", "properties.description");
        if (JsonRead.OptionalObject(properties, "typeProperties", "properties.typeProperties") is { } typeProperties)
        {
            foreach (var flag in new[] { "selfContainedInteractiveAuthoringEnabled", "nodeApprovalRequired" })
            {
                if (typeProperties[flag] is { } value && value.GetValueKind() is not (JsonValueKind.True or JsonValueKind.False))
                    throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"properties.typeProperties.{flag} must be true or false.");
            }
        }

        var json = properties.ToJsonString();
        var existing = await store.GetRuntimeAsync(factory, name, ct);
        if (existing is not null)
        {
            if (existing.Type != canonicalType)
                throw FerryException.Conflict(ErrorCodes.RuntimeTypeChange,
                    $"Runtime '{existing.Name}' is {existing.Type}; its type cannot change to {canonicalType}. Delete it and create it again.");
            var updated = existing with { PropertiesJson = json, Etag = Etag.New() };
            await store.UpdateRuntimeAsync(updated, ct);
            return (ToResource(updated), false);
        }

        var id = Guid.NewGuid();
        var selfHosted = canonicalType == IntegrationRuntimeType.SelfHosted;
        var runtime = new RuntimeRow(id, factory, name, canonicalType, json, Etag.New(), time.GetUtcNow(), AutoUpdate: "On", UpdateDelayOffset: null,
            Key1Generation: 1, Key1Hash: selfHosted ? keys.HashOf(id, AuthKey.KeyName1, 1) : null,
            Key2Generation: 1, Key2Hash: selfHosted ? keys.HashOf(id, AuthKey.KeyName2, 1) : null,
            RecordedState: selfHosted ? RuntimeState.NeedRegistration : RuntimeState.Started);
        await store.InsertRuntimeAsync(runtime, ct);
        await store.AddStatusEventAsync(id, new StatusEvent(runtime.CreatedAt, null, runtime.RecordedState, "created"), ct);
        return (ToResource(runtime), true);
    }

    public async Task<IntegrationRuntimeResource> GetAsync(string factory, string name, CancellationToken ct) =>
        ToResource(await RequireRuntimeAsync(factory, name, ct));

    public async Task<ResourceList<IntegrationRuntimeResource>> ListAsync(string factory, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return new((await store.ListRuntimesAsync(factory, ct)).Select(ToResource).ToList());
    }

    /// <summary>ADF's Update: autoUpdate and updateDelayOffset, plus description.</summary>
    public async Task<IntegrationRuntimeResource> UpdateAsync(string factory, string name, JsonObject body, CancellationToken ct)
    {
        var runtime = await RequireRuntimeAsync(factory, name, ct);
        foreach (var (property, _) in body)
        {
            if (property is not ("autoUpdate" or "updateDelayOffset" or "description"))
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                    $"'{property}' cannot be updated here; PATCH accepts description, autoUpdate and updateDelayOffset. Use PUT to replace the runtime.");
        }
        var autoUpdate = JsonRead.OptionalString(body, "autoUpdate", "autoUpdate");
        if (autoUpdate is not null && autoUpdate is not ("On" or "Off"))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"autoUpdate must be 'On' or 'Off', not '{autoUpdate}'.");
        var delay = JsonRead.OptionalString(body, "updateDelayOffset", "updateDelayOffset");
        if (delay is not null)
        {
            TimeSpan offset;
            try
            {
                offset = System.Xml.XmlConvert.ToTimeSpan(delay);
            }
            catch (FormatException)
            {
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"updateDelayOffset '{delay}' is not an ISO 8601 duration such as 'PT3H'.");
            }
            if (offset < TimeSpan.Zero || offset >= TimeSpan.FromDays(1))
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "updateDelayOffset must be at least PT0H and less than PT24H (an hour of the day).");
        }
        var properties = JsonNode.Parse(runtime.PropertiesJson)!.AsObject();
        if (body.ContainsKey("description"))
            properties["description"] = JsonRead.OptionalString(body, "description", "description");
        var updated = runtime with
        {
            AutoUpdate = autoUpdate ?? runtime.AutoUpdate,
            UpdateDelayOffset = delay ?? runtime.UpdateDelayOffset,
            PropertiesJson = properties.ToJsonString(),
            Etag = Etag.New(),
        };
        await store.UpdateRuntimeAsync(updated, ct);
        return ToResource(updated);
    }

    public async Task<bool> DeleteAsync(string factory, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        var runtime = await store.GetRuntimeAsync(factory, name, ct);
        if (runtime is null)
            return false;
        var users = await resources.LinkedServicesUsingRuntimeAsync(factory, runtime.Name, ct);
        if (users.Count > 0)
            throw FerryException.Conflict(ErrorCodes.ResourceInUse,
                $"Integration runtime '{runtime.Name}' is used by linked service(s) {string.Join(", ", users.Select(u => $"'{u}'"))} (connectVia); " +
                "delete or repoint them first.");
        await store.DeleteRuntimeAsync(runtime, time.GetUtcNow(), ct);
        return true;
    }

    public async Task<IntegrationRuntimeAuthKeys> ListAuthKeysAsync(string factory, string name, CancellationToken ct)
    {
        var runtime = RequireSelfHosted(await RequireRuntimeAsync(factory, name, ct), "authentication keys");
        return new(keys.Issue(runtime, AuthKey.KeyName1).Format(), keys.Issue(runtime, AuthKey.KeyName2).Format());
    }

    public async Task<IntegrationRuntimeAuthKeys> RegenerateAuthKeyAsync(string factory, string name, JsonObject body, CancellationToken ct)
    {
        var runtime = RequireSelfHosted(await RequireRuntimeAsync(factory, name, ct), "authentication keys");
        var keyName = JsonRead.OptionalString(body, "keyName", "keyName");
        if (!AuthKey.IsKnownKeyName(keyName))
            throw FerryException.BadRequest(ErrorCodes.InvalidKeyName, $"keyName must be '{AuthKey.KeyName1}' or '{AuthKey.KeyName2}'" +
                                                                       (keyName is null ? "." : $", not '{keyName}'."));
        var updated = keyName == AuthKey.KeyName1
            ? runtime with { Key1Generation = runtime.Key1Generation + 1, Key1Hash = keys.HashOf(runtime.Id, keyName, runtime.Key1Generation + 1) }
            : runtime with { Key2Generation = runtime.Key2Generation + 1, Key2Hash = keys.HashOf(runtime.Id, keyName!, runtime.Key2Generation + 1) };
        await store.UpdateRuntimeAsync(updated, ct);
        return new(keys.Issue(updated, AuthKey.KeyName1).Format(), keys.Issue(updated, AuthKey.KeyName2).Format());
    }

    public async Task<IntegrationRuntimeStatusResponse> GetStatusAsync(string factory, string name, CancellationToken ct)
    {
        var runtime = await RequireRuntimeAsync(factory, name, ct);
        if (runtime.Type == IntegrationRuntimeType.Managed)
            return new(runtime.Name, new IntegrationRuntimeStatus(runtime.Type, factory, RuntimeState.Started,
                new IntegrationRuntimeStatusTypeProperties(runtime.CreatedAt, Version: ServerVersion)));

        var now = time.GetUtcNow();
        var credentialVersion = (await store.GetCredentialKeyAsync(runtime.Id, ct))?.Version ?? 0;
        var nodes = (await store.ListNodesAsync(runtime.Id, ct))
            .Select(n => (Node: n, Status: NodeStatusRules.Derive(n, now, options.OfflineAfter, credentialVersion, !runtime.SelfContainedInteractiveAuthoring))).ToList();
        var dispatcher = NodeStatusRules.ActiveDispatcher(nodes);
        var views = nodes.Select(n => ToNodeView(n.Node, n.Status, n.Node.Id == dispatcher, credentialVersion)).ToList();
        var lowestVersion = nodes.Select(n => n.Node.Version).OrderBy(ParseVersion).FirstOrDefault();
        var typeProperties = new IntegrationRuntimeStatusTypeProperties(
            runtime.CreatedAt,
            Version: lowestVersion,
            Nodes: views,
            AutoUpdate: runtime.AutoUpdate,
            UpdateDelayOffset: runtime.UpdateDelayOffset,
            VersionStatus: views.Count == 0 ? null : views.Any(v => v.VersionStatus == "Expired") ? "Expired"
                : views.All(v => v.VersionStatus == "UpToDate") ? "UpToDate" : "UpdateAvailable",
            ServiceUrls: ServiceUrls(),
            Links: []);
        var state = NodeStatusRules.Aggregate(nodes.Select(n => n.Status).ToList());
        return new(runtime.Name, new IntegrationRuntimeStatus(runtime.Type, factory, state, typeProperties));
    }

    /// <summary>
    /// ADF's syncCredentials: nodes heal by themselves, so this only makes every node that still waits get the key
    /// sealed anew by the next holder's heartbeat (after a waiting node lost its one-off key, say).
    /// </summary>
    public async Task SyncCredentialsAsync(string factory, string name, CancellationToken ct)
    {
        var runtime = RequireSelfHosted(await RequireRuntimeAsync(factory, name, ct), "credentials to sync");
        await store.ResetSealedCredentialsAsync(runtime.Id, ct);
    }

    public async Task<IntegrationRuntimeMonitoringData> GetMonitoringDataAsync(string factory, string name, CancellationToken ct)
    {
        var runtime = RequireSelfHosted(await RequireRuntimeAsync(factory, name, ct), "node monitoring data");
        var nodes = await store.ListNodesAsync(runtime.Id, ct);
        return new(runtime.Name, nodes.Select(n => new IntegrationRuntimeNodeMonitoringData(n.Name, n.AvailableMemoryMB, n.CpuUtilization,
            n.ConcurrentJobsLimit, n.ConcurrentJobsRunning, n.MaxConcurrentJobs, n.SentBytes, n.ReceivedBytes)).ToList());
    }

    public async Task<IntegrationRuntimeConnectionInfo> GetConnectionInfoAsync(string factory, string name, CancellationToken ct)
    {
        var runtime = RequireSelfHosted(await RequireRuntimeAsync(factory, name, ct), "connection info");
        var credentialKey = await store.GetCredentialKeyAsync(runtime.Id, ct);
        return new(keys.PublicUrl, ServerVersion, credentialKey?.PublicKey, credentialKey?.Version, runtime.Id);
    }

    public async Task<ResourceList<StatusEvent>> ListStatusEventsAsync(string factory, string name, int limit, CancellationToken ct)
    {
        var runtime = await RequireRuntimeAsync(factory, name, ct);
        return new(await store.ListStatusEventsAsync(runtime.Id, Math.Clamp(limit, 1, 1000), ct));
    }

    public async Task<SelfHostedIntegrationRuntimeNode> GetNodeAsync(string factory, string name, string nodeName, CancellationToken ct)
    {
        var (runtime, node) = await RequireNodeAsync(factory, name, nodeName, ct);
        var now = time.GetUtcNow();
        var credentialVersion = (await store.GetCredentialKeyAsync(runtime.Id, ct))?.Version ?? 0;
        var relayRequired = !runtime.SelfContainedInteractiveAuthoring;
        var all = (await store.ListNodesAsync(runtime.Id, ct)).Select(n => (Node: n, Status: NodeStatusRules.Derive(n, now, options.OfflineAfter, credentialVersion, relayRequired)));
        return ToNodeView(node, NodeStatusRules.Derive(node, now, options.OfflineAfter, credentialVersion, relayRequired), NodeStatusRules.ActiveDispatcher(all) == node.Id,
            credentialVersion);
    }

    /// <summary>
    /// Sends a proxy setting to a node through the control plane (Ferry's addition: PUT .../nodes/{node}/proxy). The
    /// password comes sealed to the runtime's credential key; the server keeps only the envelope until the node took it.
    /// </summary>
    public async Task<JsonObject> SetNodeProxyAsync(string factory, string name, string nodeName, JsonObject body, CancellationToken ct)
    {
        var (_, node) = await RequireNodeAsync(factory, name, nodeName, ct);
        var mode = body["mode"]?.GetValue<string>();
        if (mode is not ("none" or "system" or "custom"))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "mode must be none, system or custom.");
        var address = body["address"]?.GetValue<string>();
        var port = body["port"]?.GetValue<int>() ?? 0;
        if (mode == "custom" && (string.IsNullOrWhiteSpace(address) || Uri.CheckHostName(address) == UriHostNameType.Unknown || port is < 1 or > 65535))
            throw FerryException.BadRequest(ErrorCodes.InvalidProperty, "A custom proxy needs address (a host name or IP address) and port (1..65535).");
        var password = body["encryptedPassword"]?.GetValue<string>();
        if (password is not null)
        {
            try
            {
                Ferry.Contracts.Credentials.CredentialEnvelope.VersionOf(password);
            }
            catch (FormatException)
            {
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty,
                    "encryptedPassword must be sealed to the runtime's credential key (ferry ir node set-proxy does it); the server never takes a plain password.");
            }
        }
        var bypass = (body["bypass"] as JsonArray)?.Select(b => b!.GetValue<string>()).ToList();
        var directive = new ProxyDirective(Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant(), mode,
            mode == "custom" ? address : null, mode == "custom" ? port : 0, mode == "custom" ? body["user"]?.GetValue<string>() : null,
            mode == "custom" ? password : null, mode == "custom" ? bypass : null);
        await store.SetProxyDirectiveAsync(node.Id, directive.Id, JsonSerializer.Serialize(directive, Ferry.Contracts.FerryJsonContext.Default.ProxyDirective), ct);
        return new JsonObject
        {
            ["id"] = directive.Id, ["node"] = node.Name, ["mode"] = mode, ["address"] = directive.Address, ["port"] = directive.Port == 0 ? null : directive.Port,
            ["user"] = directive.User, ["password"] = password is null ? null : "(sealed)",
            ["status"] = "Pending: the node tries it and keeps it at its next heartbeat, or keeps its current path and says why",
        };
    }

    /// <summary>What the server knows of <paramref name="node"/>, for its own diagnosis (dmgcmd -Diagnose), judging the version it says it runs.</summary>
    public async Task<NodeSelfCheck> SelfCheckAsync(NodeRow node, string version, CancellationToken ct)
    {
        var runtime = await store.GetRuntimeByIdAsync(node.RuntimeId, ct)
                      ?? throw new FerryException(StatusCodes.Status410Gone, ErrorCodes.RuntimeDeleted, "This node's integration runtime was deleted.");
        var view = await GetNodeAsync(runtime.Factory, runtime.Name, node.Name, ct);
        var nodes = (await store.ListNodesAsync(runtime.Id, ct)).Count;
        var versionStatus = NodeStatusRules.VersionStatus(version, ServerVersion);
        var cause = NodeStatusRules.VersionCause(version, ServerVersion);
        return new NodeSelfCheck(node.Id, node.Name, runtime.Factory, runtime.Name, view.Status, view.LastError, versionStatus, cause, ServerVersion,
            time.GetUtcNow(), options.ClockLeewaySeconds, nodes, node.ConcurrentJobsLimit, ServiceUrls());
    }

    public async Task<SelfHostedIntegrationRuntimeNode> UpdateNodeAsync(string factory, string name, string nodeName, JsonObject body, CancellationToken ct)
    {
        var (_, node) = await RequireNodeAsync(factory, name, nodeName, ct);
        foreach (var (property, _) in body)
        {
            if (property != "concurrentJobsLimit")
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"'{property}' cannot be updated; a node's PATCH accepts concurrentJobsLimit.");
        }
        var limit = JsonRead.RequiredInt(body, "concurrentJobsLimit", "concurrentJobsLimit");
        if (limit < 1 || limit > node.MaxConcurrentJobs)
            throw FerryException.BadRequest(ErrorCodes.ConcurrentJobsLimitOutOfRange,
                $"concurrentJobsLimit must be between 1 and this node's maxConcurrentJobs ({node.MaxConcurrentJobs}), not {limit}.");
        await store.SetConcurrentJobsLimitAsync(node.Id, limit, ct);
        return await GetNodeAsync(factory, name, nodeName, ct);
    }

    public async Task<bool> DeleteNodeAsync(string factory, string name, string nodeName, CancellationToken ct)
    {
        var runtime = await RequireRuntimeAsync(factory, name, ct);
        var node = await store.GetNodeByNameAsync(runtime.Id, nodeName, ct);
        if (node is null)
            return false;
        await store.DeleteNodeAsync(node.Id, ct);
        await RequeueJobsOfAsync(node, ct);
        // What the removed node holds must open nothing from now on: a remaining node rotates the key and re-seals.
        var hasKey = await store.GetCredentialKeyAsync(runtime.Id, ct) is not null;
        if (hasKey)
            await store.MarkCredentialRotationPendingAsync(runtime.Id, ct);
        await recorder.NodeRemovedAsync(node, hasKey
            ? "removed from the runtime; its credential key is retired: the next remaining node to heartbeat rotates it and re-seals every secret"
            : "removed from the runtime", ct);
        return true;
    }

    /// <summary>
    /// The jobs a removed node was running go back on the queue at once, for another node, rather than when their
    /// leases lapse. The removed node can report nothing more: its calls are refused (it is no longer registered), and
    /// its lease epoch is stale once another node takes the job.
    /// </summary>
    private async Task RequeueJobsOfAsync(NodeRow node, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        foreach (var job in await store.ListJobsLeasedByAsync(node.Id, ct))
        {
            var history = JsonNode.Parse(job.HistoryJson) as JsonArray ?? [];
            history.Add(new JsonObject { ["node"] = node.Name, ["outcome"] = "node removed from the runtime while running it" });
            if (await store.RequeueJobAsync(job.Id, job.Epoch, now, history.ToJsonString(), ct) && job.Step is null
                && await store.GetActivityRunAsync(job.ActivityRunId, ct) is { } activityRun)
                await store.UpdateActivityRunAsync(activityRun with { Status = Runs.RunStatus.Queued, Node = null }, ct);
        }
    }

    public async Task<IntegrationRuntimeNodeIpAddress> GetNodeIpAddressAsync(string factory, string name, string nodeName, CancellationToken ct)
    {
        var (_, node) = await RequireNodeAsync(factory, name, nodeName, ct);
        return new(node.IpAddress);
    }

    private SelfHostedIntegrationRuntimeNode ToNodeView(NodeRow n, string status, bool isActiveDispatcher, int runtimeCredentialVersion) => new(
        n.Name, n.MachineName, status, n.Version,
        NodeStatusRules.VersionStatus(n.Version, ServerVersion),
        n.RegisteredAt, n.LastConnectAt, n.LastStartAt, n.LastStopAt, isActiveDispatcher, n.ConcurrentJobsLimit, n.MaxConcurrentJobs,
        new Dictionary<string, string>
        {
            ["operatingSystem"] = n.OperatingSystem,
            ["processorCount"] = n.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["totalMemoryMB"] = n.TotalMemoryMB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // ADF's name: does the node hold the runtime's current credential key (as its last heartbeat said)?
            ["credentialInSync"] = NodeStatusRules.CredentialInSync(n.CredentialKeyVersion, runtimeCredentialVersion) ? "True" : "False",
            // ADF's name for the relay: is the node's interactive-authoring WebSocket open (as its last heartbeat said)?
            ["serviceBusConnected"] = n.RelayConnected == false ? "False" : "True",
        })
    {
        LastHeartbeatTime = n.LastHeartbeatAt,
        LastError = NodeStatusRules.TooOld(n.Version) ? NodeStatusRules.TooOldCause(n.Version, ServerVersion)
            : n.ClockSkewSeconds is { } skew ? NodeStatusRules.ClockSkewCause(skew, options.ClockLeewaySeconds, options.SignatureLifetimeSeconds)
            : n.LastError is { Length: > 0 } error ? error : null,
    };

    /// <summary>Every endpoint a node must reach (the reference's "View Service URLs"), so firewall rules can be written from it.</summary>
    private IReadOnlyList<string> ServiceUrls() =>
        options.RelayUrl is { } relay && !string.Equals(relay, keys.PublicUrl, StringComparison.OrdinalIgnoreCase) ? [keys.PublicUrl, relay] : [keys.PublicUrl];

    private static Version ParseVersion(string? v) => Version.TryParse(v, out var parsed) ? parsed : new Version(0, 0);

    private static IntegrationRuntimeResource ToResource(RuntimeRow r) => new(
        $"/factories/{r.Factory}/integrationruntimes/{r.Name}", r.Name, IntegrationRuntimeResource.ResourceType, r.Etag,
        JsonNode.Parse(r.PropertiesJson)!.AsObject());


    private async Task<RuntimeRow> RequireRuntimeAsync(string factory, string name, CancellationToken ct)
    {
        await store.RequireFactoryAsync(factory, ct);
        return await store.GetRuntimeAsync(factory, name, ct)
               ?? throw FerryException.NotFound(ErrorCodes.RuntimeNotFound,
                   $"Integration runtime '{name}' does not exist in factory '{factory}'. `ferry ir list` shows the ones that do.");
    }

    private async Task<(RuntimeRow, NodeRow)> RequireNodeAsync(string factory, string name, string nodeName, CancellationToken ct)
    {
        var runtime = await RequireRuntimeAsync(factory, name, ct);
        var node = await store.GetNodeByNameAsync(runtime.Id, nodeName, ct)
                   ?? throw FerryException.NotFound(ErrorCodes.NodeNotFound,
                       $"Runtime '{runtime.Name}' has no node named '{nodeName}'. `ferry ir get-status --name {runtime.Name}` lists its nodes.");
        return (runtime, node);
    }

    private static RuntimeRow RequireSelfHosted(RuntimeRow runtime, string what) =>
        runtime.Type == IntegrationRuntimeType.SelfHosted
            ? runtime
            : throw FerryException.BadRequest(ErrorCodes.NotSelfHosted,
                $"Runtime '{runtime.Name}' is {runtime.Type}; only self-hosted runtimes have {what}.");
}
