using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace EdgeCompress.Daemon.Api;

/// <summary>PUT/GET/DELETE /v1/models: the model store over HTTP.</summary>
public static class ModelEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPut("/v1/models/{name}", PutAsync);
        routes.MapGet("/v1/models", (ModelStore store) => Results.Json(
            new ModelListResponse { Models = store.List(), UsedBytes = store.UsedBytes(), QuotaBytes = store.QuotaBytes },
            ProtocolJsonContext.Default.ModelListResponse));
        routes.MapGet("/v1/models/{name}", (string name, ModelStore store) =>
            store.Find(name) is { } model
                ? Results.Json(model, ProtocolJsonContext.Default.ModelInfo)
                : NotFound(name));
        routes.MapDelete("/v1/models/{name}", (string name, int? version, ModelStore store) =>
            store.Delete(name, version) > 0 ? Results.NoContent() : NotFound(name, version));
    }

    private static async Task<IResult> PutAsync(string name, HttpContext context, ModelStore store, IOptions<EdgedOptions> options)
    {
        // The store enforces maxModelBytes itself while streaming, with a clear 413, instead of Kestrel's 30 MB default.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = options.Value.MaxModelBytes + 1;
        }

        UploadResult result;
        try
        {
            result = await store.UploadAsync(name, context.Request.Body, context.Request.ContentLength,
                context.Request.Headers[ApiContract.ContentSha256Header].FirstOrDefault(), context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.Result(StatusCodes.Status413PayloadTooLarge, $"model is larger than the limit of {options.Value.MaxModelBytes} bytes (maxModelBytes)");
        }

        if (result.Version is { } version)
        {
            context.Response.Headers[ApiContract.ModelVersionHeader] = version.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return result.Outcome switch
        {
            UploadOutcome.Created => Results.Json(result.Version, ProtocolJsonContext.Default.ModelVersionInfo, statusCode: StatusCodes.Status201Created),
            UploadOutcome.Unchanged => Results.Json(result.Version, ProtocolJsonContext.Default.ModelVersionInfo),
            UploadOutcome.TooLarge => Problems.Result(StatusCodes.Status413PayloadTooLarge, result.Detail!),
            UploadOutcome.InsufficientStorage => Problems.Result(StatusCodes.Status507InsufficientStorage, result.Detail!),
            _ => Problems.Result(StatusCodes.Status400BadRequest, result.Detail!),
        };
    }

    private static IResult NotFound(string name, int? version = null) =>
        ModelStore.IsValidName(name)
            ? Problems.Result(StatusCodes.Status404NotFound, version is null ? $"model {name} is not in the store" : $"model {name} has no version {version}")
            : Problems.Result(StatusCodes.Status400BadRequest, $"model name '{name}' is not allowed: use letters, digits, '.', '-', '_' (at most 64, no '..', no '/')");
}
