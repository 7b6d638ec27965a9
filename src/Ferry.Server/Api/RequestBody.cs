using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Ferry.Contracts.Problems;
using Ferry.Server.Errors;
using Ferry.Server.Hosting;

namespace Ferry.Server.Api;

/// <summary>Reads request bodies within the size limit and turns malformed JSON into a 400 that names where it broke.</summary>
public sealed class RequestBody(ServerOptions options)
{
    public async Task<byte[]> ReadBytesAsync(HttpRequest request, CancellationToken ct)
    {
        var max = options.MaxRequestBodyBytes;
        if (request.ContentLength > max)
            throw TooLarge(max);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > max)
                throw TooLarge(max);
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>A JSON object body; an empty body reads as an empty object.</summary>
    public async Task<JsonObject> ReadObjectAsync(HttpRequest request, CancellationToken ct)
    {
        var bytes = await ReadBytesAsync(request, ct);
        if (bytes.Length == 0)
            return [];
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(bytes, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException e)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidJson, Describe(e));
        }
        return node as JsonObject ?? throw FerryException.BadRequest(ErrorCodes.InvalidJson, "The request body must be a JSON object.");
    }

    public static T Deserialize<T>(byte[] bytes, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(bytes, type) ?? throw FerryException.BadRequest(ErrorCodes.InvalidJson, "The request body is empty.");
        }
        catch (JsonException e)
        {
            throw FerryException.BadRequest(ErrorCodes.InvalidJson, Describe(e));
        }
    }

    private static string Describe(JsonException e) =>
        $"The request body is not valid JSON{(string.IsNullOrEmpty(e.Path) || e.Path == "$" ? "" : $" at {e.Path}")}" +
        $" (line {(e.LineNumber ?? 0) + 1}, byte {(e.BytePositionInLine ?? 0) + 1}). Fix the document and send it again.";

    private static FerryException TooLarge(long max) =>
        new(StatusCodes.Status413PayloadTooLarge, ErrorCodes.BodyTooLarge, $"The request body is larger than {max} bytes, the most this server accepts.");
}
