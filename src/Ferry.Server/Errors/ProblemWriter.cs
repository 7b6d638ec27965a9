using Ferry.Contracts;
using Ferry.Contracts.Problems;

namespace Ferry.Server.Errors;

/// <summary>Writes every error as application/problem+json with its stable code, and turns anything unexpected into a plain 500 without internals.</summary>
public sealed partial class ProblemWriter(RequestDelegate next, ILogger<ProblemWriter> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context);
        }
        catch (FerryException e) when (!context.Response.HasStarted)
        {
            await WriteAsync(context, e.Status, e.Code, e.Message);
        }
        catch (BadHttpRequestException e) when (!context.Response.HasStarted)
        {
            var code = e.StatusCode == StatusCodes.Status413PayloadTooLarge ? ErrorCodes.BodyTooLarge : ErrorCodes.InvalidJson;
            await WriteAsync(context, e.StatusCode, code, e.StatusCode == StatusCodes.Status413PayloadTooLarge
                ? "The request body is too large. Send a smaller document."
                : "The request could not be read: " + e.Message);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away; there is no one to answer.
        }
        catch (Exception e) when (!context.Response.HasStarted)
        {
            LogUnexpected(logger, e, context.Request.Method, context.Request.Path);
            await WriteAsync(context, 500, ErrorCodes.InternalError,
                "The server hit an unexpected error and logged it. Retry; if it persists, report it with the server's log.");
        }
    }

    public static Task WriteAsync(HttpContext context, int status, string code, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var title = code;
        return context.Response.WriteAsJsonAsync(new Problem(code, title, status, detail), FerryJsonContext.Default.Problem,
            "application/problem+json", context.RequestAborted);
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Error, Message = "Unexpected error on {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception e, string method, string path);
}
