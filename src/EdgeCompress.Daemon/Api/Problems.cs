using EdgeCompress.Protocol;
using Microsoft.AspNetCore.Http;

namespace EdgeCompress.Daemon.Api;

/// <summary>RFC 7807 problem answers, serialised with the protocol's source-generated context (AOT-safe).</summary>
public static class Problems
{
    /// <summary>The media type of problem answers.</summary>
    public const string ContentType = "application/problem+json";

    /// <summary>A problem result with <paramref name="status"/> and a detail naming the field or model.</summary>
    public static IResult Result(int status, string detail) =>
        Results.Json(Create(status, detail), ProtocolJsonContext.Default.ProblemResponse, ContentType, status);

    /// <summary>Writes a problem directly (middleware, before routing).</summary>
    public static Task WriteAsync(HttpContext context, int status, string detail)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(Create(status, detail), ProtocolJsonContext.Default.ProblemResponse, ContentType, context.RequestAborted);
    }

    private static ProblemResponse Create(int status, string detail) => new()
    {
        Type = $"https://httpstatuses.io/{status}",
        Title = Title(status),
        Status = status,
        Detail = detail,
    };

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        507 => "Insufficient Storage",
        _ => "Error",
    };
}
