using System.Text.Json.Nodes;
using Ferry.Contracts.Protocol;
using Ferry.Engine.Access;
using Ferry.Engine.Copy;

namespace Ferry.Engine.Tests;

/// <summary>A leased job's run around the copy: the renewal that must confirm the lease before the sink commits.</summary>
public sealed class JobExecutionTests : IDisposable
{
    private readonly TempFolder _files = new();

    public JobExecutionTests() => File.WriteAllText(_files.Combine("in.csv"), "id,name\n1,a\n2,b\n");

    public void Dispose() => _files.Dispose();

    private string Output => _files.Combine("out.csv");

    /// <summary>A CSV file copied to another in the same folder, leased for <paramref name="leaseSeconds"/>, renewed only before the commit.</summary>
    private Task<JobCompleteRequest?> RunAsync(int leaseSeconds, Func<JobRenewRequest, CancellationToken, Task<JobRenewResponse>> renew)
    {
        JsonObject Csv(string file) => JsonNode.Parse(Support.Json(new
        {
            type = "DelimitedText", typeProperties = new { location = new { type = "FileServerLocation", fileName = file }, firstRowAsHeader = true },
        }))!.AsObject();
        var share = JsonNode.Parse(Support.Json(new { type = "FileServer", typeProperties = new { host = _files.Path } }))!.AsObject();
        var activity = JsonNode.Parse("""{"name": "copy", "typeProperties": {"source": {"type": "DelimitedTextSource"}, "sink": {"type": "DelimitedTextSink"}}}""")!.AsObject();
        var payload = new JobPayload(Guid.NewGuid(), Guid.NewGuid(), "copy", "Copy", activity, Csv("in.csv"), share, Csv("out.csv"), share.DeepClone().AsObject(), null, "test-ir");
        // Renewals on the clock never come within the test (an hour); only the one before the commit does.
        var lease = new JobLease(Guid.NewGuid(), 1, leaseSeconds, 3600, payload);
        return JobExecution.RunAsync(lease, Support.Context(NodeAccessPolicy.Default with { AllowedFolders = [_files.Path] }), renew, CancellationToken.None);
    }

    [Fact]
    public async Task A_control_plane_that_misses_the_renewal_before_the_commit_is_asked_again_and_the_copy_succeeds()
    {
        var calls = 0;
        var result = await RunAsync(60, (_, _) => ++calls <= 2
            ? throw new HttpRequestException("the server answered 503 (database is locked)")
            : Task.FromResult(new JobRenewResponse(false)));

        Assert.NotNull(result);
        Assert.True(result.Succeeded, result.Error?.Message);
        Assert.Equal(3, calls);
        Assert.Equal("id,name\n1,a\n2,b\n", File.ReadAllText(Output).ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task A_lease_that_cannot_be_confirmed_commits_nothing_and_leaves_the_job_to_run_again()
    {
        var result = await RunAsync(2, (_, _) => throw new HttpRequestException("connection refused"));

        Assert.Null(result); // dropped like a lost lease: the host reports nothing, the lease lapses, the job runs again
        Assert.False(File.Exists(Output));
        Assert.Equal(["in.csv"], Directory.GetFiles(_files.Path).Select(Path.GetFileName));
    }
}
