using EdgeCompress.Daemon.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace EdgeCompress.Daemon.Api;

/// <summary>
/// The front door: counts every answer for /metrics, turns an unhandled fault into a 500 problem (never a stack
/// trace), and requires the bearer token on everything but /v1/health.
/// </summary>
public sealed class GuardMiddleware
{
    private readonly RequestDelegate _next;
    private readonly TokenFile _token;
    private readonly Metrics _metrics;
    private readonly ILogger<GuardMiddleware> _logger;

    /// <summary>Creates the middleware.</summary>
    public GuardMiddleware(RequestDelegate next, TokenFile token, Metrics metrics, ILogger<GuardMiddleware> logger)
    {
        _next = next;
        _token = token;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        try
        {
            if (!IsPublic(context.Request.Path) && !Authorized(context.Request))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer realm=\"edged\"";
                await Problems.WriteAsync(context, StatusCodes.Status401Unauthorized, "a valid bearer token is required (Authorization: Bearer TOKEN; the token is in edged's token file)").ConfigureAwait(false);
                return;
            }

            await _next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested && !context.Response.HasStarted)
        {
            Log.UnhandledError(_logger, ex, context.Request.Method, context.Request.Path);
            await Problems.WriteAsync(context, StatusCodes.Status500InternalServerError, "edged failed to handle this request; see its log").ConfigureAwait(false);
        }
        finally
        {
            _metrics.RequestServed(context.Response.StatusCode);
        }
    }

    private static bool IsPublic(PathString path) => path.Equals("/v1/health", StringComparison.Ordinal);

    private bool Authorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && _token.Matches(header.AsSpan(scheme.Length).Trim());
    }
}
