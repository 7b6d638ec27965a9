using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Contracts.Resources;
using Ferry.Engine.Access;
using Ferry.Engine.Interactive;
using Ferry.Server.Errors;
using Ferry.Server.FactoryResources;
using Ferry.Server.Hosting;
using Ferry.Server.Nodes;
using Ferry.Server.Store;

namespace Ferry.Server.Interactive;

/// <summary>
/// Interactive authoring for a linked service or dataset: finds the runtime that reaches it, picks a node of that
/// runtime able to answer (heartbeating, relay connected or polling, holding the credential key), sends the request
/// and turns the answer into the API's response. A linked service without connectVia runs here, on the managed runtime.
/// </summary>
public sealed class InteractiveService(
    FactoryResourceService resources, IFerryStore store, InteractiveDispatcher dispatcher, ServerOptions options, TimeProvider time)
{
    public async Task<JsonObject> RunAsync(string factory, string kind, string name, string operation, JsonObject? body, CancellationToken ct)
    {
        JsonObject? dataset = null;
        JsonObject linkedService;
        string linkedServiceName;
        if (kind == FactoryResourceService.Datasets)
        {
            dataset = (await resources.GetAsync(factory, kind, name, ct)).Properties;
            linkedServiceName = dataset["linkedServiceName"]?["referenceName"]?.GetValue<string>()
                                ?? throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"Dataset '{name}' has no linkedServiceName.");
        }
        else
        {
            if (operation is InteractiveOperation.GetSchema or InteractiveOperation.Preview)
                throw FerryException.BadRequest(ErrorCodes.InvalidProperty, $"{operation} reads a dataset; call it on /datasets/{{name}}.");
            linkedServiceName = name;
        }
        linkedService = (await resources.GetAsync(factory, FactoryResourceService.LinkedServices, linkedServiceName, ct)).Properties;
        // Secrets kept in a SecretStore travel as the store's definition: the node reads the secret itself.
        JsonObject? secretStores = null;
        foreach (var property in Credentials.LinkedServiceSecrets.SecretProperties)
        {
            if (Ferry.Contracts.Credentials.SecretReference.TryRead(linkedService["typeProperties"]?[property]) is { } reference)
            {
                secretStores ??= [];
                secretStores[reference.Store] ??= (await resources.GetAsync(factory, FactoryResourceService.LinkedServices, reference.Store, ct)).Properties;
            }
        }

        var request = new InteractiveRequest(Guid.NewGuid(), operation, linkedService, dataset,
            body?["path"] is JsonValue p && p.GetValueKind() == JsonValueKind.String ? p.GetValue<string>() : null,
            body?["rows"] is JsonValue r && r.TryGetValue<int>(out var rows) ? rows : 0, linkedServiceName, secretStores);

        var runtimeName = linkedService["connectVia"]?["referenceName"]?.GetValue<string>();
        var runtime = runtimeName is null ? null : await store.GetRuntimeAsync(factory, runtimeName, ct);
        if (runtime is null || runtime.Type == IntegrationRuntimeType.Managed)
            return Answer(await RunManagedAsync(request, ct), runtimeName ?? "managed", node: null);

        var (response, nodeName) = await SendToNodeAsync(runtime, request, ct);
        return Answer(response, runtime.Name, nodeName);
    }

    /// <summary>The managed runtime is this server: the same engine, with the default access policy (no local folders, no local machine).</summary>
    private static Task<InteractiveResponse> RunManagedAsync(InteractiveRequest request, CancellationToken ct) =>
        InteractiveRunner.RunAsync(request, new EngineContext(NodeAccessPolicy.Default,
            _ => throw new DataStoreException(ErrorCodes.CredentialUnavailable,
                "This linked service holds an encrypted credential but runs on the managed runtime, which keeps no credential key; connect it via a self-hosted runtime."),
            "the managed runtime"), ct);

    private async Task<(InteractiveResponse, string)> SendToNodeAsync(RuntimeRow runtime, InteractiveRequest request, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var credentialVersion = (await store.GetCredentialKeyAsync(runtime.Id, ct))?.Version ?? 0;
        var nodes = await store.ListNodesAsync(runtime.Id, ct);
        if (nodes.Count == 0)
            throw FerryException.Conflict(ErrorCodes.NoNodeAvailable,
                $"Runtime '{runtime.Name}' has no nodes; register one with `dmgcmd -RegisterNewNode \"<key>\"` on a machine that reaches the data store.");
        var alive = nodes.Where(n => NodeStatusRules.Derive(n, now, options.OfflineAfter) != NodeStatus.Offline
                                     && n.LastHeartbeatAt is not null).ToList();
        if (alive.Count == 0)
            throw FerryException.Conflict(ErrorCodes.NoNodeAvailable,
                $"No node of runtime '{runtime.Name}' is online ({string.Join(", ", nodes.Select(n => n.Name))}); start the ferry-node service on one of them.");
        var needsKey = request.LinkedService["typeProperties"]?["encryptedCredential"] is not null;
        var able = needsKey ? alive.Where(n => NodeStatusRules.CredentialInSync(n.CredentialKeyVersion, credentialVersion)).ToList() : alive;
        if (able.Count == 0)
            throw FerryException.Conflict(ErrorCodes.CredentialUnavailable,
                $"No online node of runtime '{runtime.Name}' holds its current credential key yet; they get it from another node within a heartbeat " +
                $"or two. `ferry ir sync-credentials --name {runtime.Name}` forces it.");

        var timeout = TimeSpan.FromSeconds(options.InteractiveTimeoutSeconds);
        if (runtime.SelfContainedInteractiveAuthoring)
        {
            try
            {
                var (response, nodeId) = await dispatcher.SendOverPollAsync(runtime.Id, request, timeout, ct);
                return (response, able.Concat(nodes).FirstOrDefault(n => n.Id == nodeId)?.Name ?? "?");
            }
            catch (TimeoutException)
            {
                throw new FerryException(StatusCodes.Status504GatewayTimeout, ErrorCodes.InteractiveTimeout,
                    $"No node of runtime '{runtime.Name}' answered within {options.InteractiveTimeoutSeconds} s (self-contained interactive authoring: " +
                    "nodes take requests on their poll channel). Check that the nodes are running and can reach the server.");
            }
        }

        var relayed = able.Where(n => dispatcher.HasRelay(n.Id)).ToList();
        if (relayed.Count == 0)
        {
            var why = string.Join("; ", able.Select(n => $"{n.Name}: {n.RelayError ?? "relay not connected"}"));
            throw FerryException.Conflict(ErrorCodes.NoNodeAvailable,
                $"No node of runtime '{runtime.Name}' has its relay connected ({why}), so interactive authoring is unavailable (the runtime shows Limited). " +
                $"Let the nodes reach {options.RelayUrl ?? options.PublicUrl}, or set typeProperties.selfContainedInteractiveAuthoringEnabled: true on the runtime.");
        }
        var node = relayed[Random.Shared.Next(relayed.Count)];
        try
        {
            return (await dispatcher.SendOverRelayAsync(node.Id, request, timeout, ct), node.Name);
        }
        catch (TimeoutException)
        {
            throw new FerryException(StatusCodes.Status504GatewayTimeout, ErrorCodes.InteractiveTimeout,
                $"Node '{node.Name}' of runtime '{runtime.Name}' did not answer within {options.InteractiveTimeoutSeconds} s; the data store may be slow to answer, or the node is overloaded.");
        }
        catch (WebSocketException e)
        {
            throw FerryException.Conflict(ErrorCodes.NoNodeAvailable, $"The relay of node '{node.Name}' dropped while sending the request ({e.Message}); try again.");
        }
    }

    private static JsonObject Answer(InteractiveResponse response, string runtime, string? node)
    {
        var where = node is null ? $"runtime '{runtime}'" : $"node '{node}' of runtime '{runtime}'";
        if (!response.Succeeded)
            throw new FerryException(StatusCodes.Status422UnprocessableEntity, response.ErrorCode ?? ErrorCodes.DataStoreError,
                $"{response.Message} (ran on {where})");
        var result = response.Result as JsonObject ?? [];
        result["executedBy"] = new JsonObject { ["runtime"] = runtime, ["node"] = node };
        return result;
    }
}
