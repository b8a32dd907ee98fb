using EdgeCompress.Daemon.Benchmarks;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;

namespace EdgeCompress.Daemon.Api;

/// <summary>
/// PUT/GET /v1/inputs/{sha256}: real input sets for benchmarks (named by their SHA-256, checked on arrival, limited
/// to maxInputBytes), and GET /v1/benchmarks/{id}/outputs: what the model computed from them on this device.
/// </summary>
public static class InputEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPut("/v1/inputs/{sha256}", PutAsync);
        routes.MapGet("/v1/inputs/{sha256}", (string sha256, InputSetStore inputs) =>
            inputs.Find(sha256) is { } info
                ? Results.Json(info, ProtocolJsonContext.Default.InputSetInfo)
                : Problems.Result(StatusCodes.Status404NotFound, $"no input set {sha256} on this device"));
        routes.MapGet("/v1/benchmarks/{id}/outputs", (string id, BenchmarkScheduler queue, InputSetStore inputs) =>
        {
            if (queue.Find(id) is not { } job)
            {
                return Problems.Result(StatusCodes.Status404NotFound, $"no benchmark with id {id}");
            }

            var status = job.Snapshot();
            var path = inputs.OutputsPath(job.Id);
            if (status.Request.InputSet is null)
            {
                return Problems.Result(StatusCodes.Status404NotFound, $"benchmark {id} ran on generated inputs; outputs are kept only for an inputSet");
            }

            return status.Status != BenchmarkStates.Completed ? Problems.Result(StatusCodes.Status409Conflict, $"benchmark {id} is {status.Status}; outputs exist once it has completed")
                : !File.Exists(path) ? Problems.Result(StatusCodes.Status410Gone, $"the outputs of benchmark {id} are no longer kept (this device keeps the newest {InputSetStore.KeptOutputs})")
                : Results.File(path, TensorSet.MediaType);
        });
    }

    private static async Task<IResult> PutAsync(string sha256, HttpContext context, InputSetStore inputs)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = inputs.MaxBytes + 1;
        }

        (InputSetOutcome Outcome, InputSetInfo? Info, string? Detail) result;
        try
        {
            result = await inputs.UploadAsync(sha256, context.Request.Body, context.Request.ContentLength, context.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            result = (InputSetOutcome.TooLarge, null, $"input set is larger than this device's limit of {inputs.MaxBytes} bytes (maxInputBytes)");
        }

        return result.Outcome switch
        {
            InputSetOutcome.Created => Results.Json(result.Info, ProtocolJsonContext.Default.InputSetInfo, statusCode: StatusCodes.Status201Created),
            InputSetOutcome.Unchanged => Results.Json(result.Info, ProtocolJsonContext.Default.InputSetInfo),
            InputSetOutcome.TooLarge => Problems.Result(StatusCodes.Status413PayloadTooLarge, result.Detail!),
            _ => Problems.Result(StatusCodes.Status400BadRequest, result.Detail!),
        };
    }
}
