using System.Text.Json;
using Ferry.Contracts;
using Ferry.Contracts.Problems;
using Ferry.Contracts.Protocol;
using Ferry.Server.Errors;
using Ferry.Server.Jobs;
using Ferry.Server.Nodes;
using Ferry.Server.IntegrationRuntimes;
using Ferry.Server.Runs;

namespace Ferry.Server.Api;

/// <summary>ADF's pipeline run operations for users, and the job calls nodes make (long poll, renew, complete).</summary>
public static class RunEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var json = FerryJsonContext.Default;

        app.MapPost("/factories/{factory}/pipelines/{name}/createRun", async (string factory, string name, HttpRequest request, RequestBody body,
            RunService runs, CancellationToken ct) =>
        {
            var parameters = request.ContentLength is > 0 ? await body.ReadObjectAsync(request, ct) : null;
            return Results.Json(await runs.CreateRunAsync(factory, name, parameters, ct), json.JsonObject);
        });
        app.MapGet("/factories/{factory}/pipelineruns/{runId}", async (string factory, string runId, RunService runs, CancellationToken ct) =>
            Results.Json(await runs.GetRunAsync(factory, ParseRunId(runId), ct), json.JsonObject));
        app.MapPost("/factories/{factory}/pipelineruns/{runId}/cancel", async (string factory, string runId, RunService runs, CancellationToken ct) =>
        {
            await runs.CancelAsync(factory, ParseRunId(runId), ct);
            return Results.Ok();
        });
        app.MapPost("/factories/{factory}/queryPipelineRuns", async (string factory, HttpRequest request, RequestBody body, RunService runs, CancellationToken ct) =>
            Results.Json(await runs.QueryRunsAsync(factory, request.ContentLength is > 0 ? await body.ReadObjectAsync(request, ct) : null, ct), json.JsonObject));
        app.MapPost("/factories/{factory}/pipelineruns/{runId}/queryActivityruns", async (string factory, string runId, RunService runs, CancellationToken ct) =>
            Results.Json(await runs.QueryActivityRunsAsync(factory, ParseRunId(runId), ct), json.JsonObject));

        app.MapPost(NodeProtocol.JobPollPath, async (HttpContext context, RequestBody body, NodeAuthenticator auth, JobService jobs, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            // A node too old for this server could misread a job: it is told why and gets none.
            if (NodeStatusRules.TooOld(node.Version))
                throw new FerryException(StatusCodes.Status409Conflict, ErrorCodes.NodeVersionUnsupported,
                    NodeStatusRules.TooOldCause(node.Version, IntegrationRuntimeService.ServerVersion));
            var request = RequestBody.Deserialize(bytes, json.JobPollRequest);
            var lease = await jobs.PollAsync(node.RuntimeId.ToString(), node.Id, node.Name, Math.Min(request.FreeSlots, node.ConcurrentJobsLimit),
                JobService.PollWait, ct, node.ConcurrentJobsLimit);
            return lease is null ? Results.NoContent() : Results.Json(lease, json.JobLease);
        });
        app.MapPost(NodeProtocol.JobsPath + "/{jobId}/renew", async (string jobId, HttpContext context, RequestBody body, NodeAuthenticator auth,
            JobService jobs, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            return Results.Json(await jobs.RenewAsync(ParseJobId(jobId), node.Id, RequestBody.Deserialize(bytes, json.JobRenewRequest), ct), json.JobRenewResponse);
        });
        app.MapPost(NodeProtocol.JobsPath + "/{jobId}/complete", async (string jobId, HttpContext context, RequestBody body, NodeAuthenticator auth,
            JobService jobs, CancellationToken ct) =>
        {
            var bytes = await body.ReadBytesAsync(context.Request, ct);
            var node = await auth.AuthenticateAsync(context.Request, bytes, ct);
            await jobs.CompleteAsync(ParseJobId(jobId), node.Id, node.Name, RequestBody.Deserialize(bytes, json.JobCompleteRequest), ct);
            return Results.NoContent();
        });
    }

    private static Guid ParseRunId(string runId) => Guid.TryParse(runId, out var id)
        ? id
        : throw FerryException.NotFound(ErrorCodes.RunNotFound, $"'{runId}' is not a run id; `ferry run list` shows the recent ones.");

    private static Guid ParseJobId(string jobId) => Guid.TryParse(jobId, out var id)
        ? id
        : throw FerryException.NotFound(ErrorCodes.JobNotFound, $"'{jobId}' is not a job id.");
}
