using System.Text.Json;
using EdgeCompress.Daemon.Benchmarks;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using EdgeCompress.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeCompress.Daemon.Api;

/// <summary>POST/GET /v1/benchmarks and the server-sent event stream of a job.</summary>
public static class BenchmarkEndpoints
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/benchmarks", SubmitAsync);
        routes.MapGet("/v1/benchmarks", (BenchmarkScheduler queue) =>
            Results.Json(queue.Recent(100).ToArray(), ProtocolJsonContext.Default.BenchmarkStatusArray));
        routes.MapGet("/v1/benchmarks/{id}", (string id, BenchmarkScheduler queue) =>
            queue.Find(id) is { } job
                ? Results.Json(job.Snapshot(), ProtocolJsonContext.Default.BenchmarkStatus)
                : Problems.Result(StatusCodes.Status404NotFound, $"no benchmark with id {id}"));
        routes.MapGet("/v1/benchmarks/{id}/events", StreamEventsAsync);
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, ModelStore store, InputBudget budget, InputSetStore inputs, BenchmarkScheduler queue)
    {
        BenchmarkRequest? request;
        try
        {
            request = await context.Request.ReadFromJsonAsync(ProtocolJsonContext.Default.BenchmarkRequest, context.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"request body is not a benchmark request: {ex.Message}");
        }
        catch (InvalidOperationException ex)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"request body must be JSON (Content-Type: application/json): {ex.Message}");
        }

        if (request is null)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, "request body is empty; send {\"model\": NAME, ...}");
        }

        if (BenchmarkRequestRules.Normalize(request) is { } problem)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, problem);
        }

        if (!ModelStore.IsValidName(request.Model))
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"model name '{request.Model}' is not allowed");
        }

        if (store.Resolve(request.Model, request.ModelVersion) is not { } model)
        {
            return Problems.Result(StatusCodes.Status404NotFound, request.ModelVersion is null
                ? $"model {request.Model} is not in the store; push it first"
                : $"model {request.Model} has no version {request.ModelVersion}");
        }

        if (request.InputSet is { } set && inputs.Find(set) is null)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, $"input set {set} is not on this device; upload it first (PUT /v1/inputs/{set})");
        }

        // Sized before queuing: a shape that cannot fit the board is the caller's mistake, answered now, not a crash later.
        if (request.InputSet is null && budget.Check(request, model.Info, model.Path) is { } tooBig)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, ServerPaths.Hide(tooBig, store.Root, request.Model));
        }

        var job = queue.Submit(request, model.Info, out var ahead);
        if (job is null)
        {
            context.Response.Headers.RetryAfter = "30";
            return Problems.Result(StatusCodes.Status429TooManyRequests, $"{ahead} benchmarks are already waiting; try again later");
        }

        context.Response.Headers.Location = $"/v1/benchmarks/{job.Id}";
        return Results.Json(new BenchmarkAccepted { Id = job.Id, Status = BenchmarkStates.Queued, QueuePosition = ahead },
            ProtocolJsonContext.Default.BenchmarkAccepted, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task StreamEventsAsync(string id, HttpContext context, BenchmarkScheduler queue)
    {
        if (queue.Find(id) is not { } job)
        {
            await Problems.WriteAsync(context, StatusCodes.Status404NotFound, $"no benchmark with id {id}").ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var position = int.TryParse(context.Request.Headers["Last-Event-ID"], out var last) ? last + 1 : 0;
        var cancel = context.RequestAborted;
        while (!cancel.IsCancellationRequested)
        {
            var (events, final, next) = job.Read(position);
            foreach (var item in events)
            {
                await WriteEventAsync(response, item.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture), item.Kind,
                    JsonSerializer.Serialize(item, ProtocolJsonContext.Default.BenchmarkEvent), cancel).ConfigureAwait(false);
            }

            position += events.Count;
            if (events.Any(e => BenchmarkStates.IsFinal(e.Kind)))
            {
                return;
            }

            if (final && events.Count == 0 && position == 0)
            {
                // Finished before this daemon started (restored from the results file): no event log, one summary event.
                var status = job.Snapshot();
                var summary = new BenchmarkEvent { Id = id, Kind = status.Status, Message = status.Error, TimestampUtc = status.FinishedUtc ?? DateTimeOffset.UtcNow };
                await WriteEventAsync(response, "0", status.Status, JsonSerializer.Serialize(summary, ProtocolJsonContext.Default.BenchmarkEvent), cancel).ConfigureAwait(false);
                return;
            }

            await response.Body.FlushAsync(cancel).ConfigureAwait(false);
            try
            {
                await next.WaitAsync(KeepAlive, cancel).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await response.WriteAsync(": keep-alive\n\n", cancel).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, string id, string kind, string json, CancellationToken cancel)
    {
        await response.WriteAsync($"id: {id}\nevent: {kind}\ndata: {json}\n\n", cancel).ConfigureAwait(false);
        await response.Body.FlushAsync(cancel).ConfigureAwait(false);
    }
}
