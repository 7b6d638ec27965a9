using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Ferry.Engine.Tests;

/// <summary>DuckDB from npm (installed by ./scripts/test into tools/duckdb): the independent Parquet implementation the Parquet tests check Ferry against.</summary>
internal static class DuckDb
{
    private static readonly string Tool = Path.Combine(RepositoryRoot(), "tools", "duckdb");

    private static string RepositoryRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Ferry.slnx")))
                return folder.FullName;
        }
        throw new InvalidOperationException("the tests run outside the Ferry repository");
    }

    /// <summary>Runs the statements; answers the last one's rows.</summary>
    public static async Task<JsonArray> QueryAsync(params string[] sql)
    {
        if (!Directory.Exists(Path.Combine(Tool, "node_modules", "@duckdb", "node-api")))
            throw new InvalidOperationException("DuckDB is not installed in tools/duckdb; run the tests with ./scripts/test, which installs it from npm.");
        var info = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Tool };
        info.ArgumentList.Add("query.mjs");
        foreach (var statement in sql)
            info.ArgumentList.Add(statement);
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"DuckDB failed: {await error}");
        return JsonNode.Parse(await output)!.AsArray();
    }
}
