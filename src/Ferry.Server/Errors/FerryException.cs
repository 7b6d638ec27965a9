namespace Ferry.Server.Errors;

/// <summary>An error a caller caused and can fix: a stable code, an HTTP status and a message that says what to do.</summary>
public sealed class FerryException(int status, string code, string message) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;

    public static FerryException BadRequest(string code, string message) => new(400, code, message);
    public static FerryException NotFound(string code, string message) => new(404, code, message);
    public static FerryException Conflict(string code, string message) => new(409, code, message);
    public static FerryException Unauthorized(string code, string message) => new(401, code, message);
}
