using EdgeCompress.Daemon.Benchmarks;
using EdgeCompress.Daemon.Hosting;
using EdgeCompress.Daemon.Store;
using EdgeCompress.Protocol;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace EdgeCompress.Daemon.Api;

/// <summary>GET /v1/health, GET /v1/device and GET /metrics.</summary>
public static class SystemEndpoints
{
    /// <summary>Maps the routes.</summary>
    public static void Map(IEndpointRouteBuilder routes, Lazy<DeviceInfo> device, DateTimeOffset startedUtc)
    {
        var health = new HealthResponse { Status = "ok", Version = EdgedHost.Version };
        routes.MapGet("/v1/health", () => Results.Json(health, ProtocolJsonContext.Default.HealthResponse));
        routes.MapGet("/v1/device", () => Results.Json(device.Value, ProtocolJsonContext.Default.DeviceInfo));
        routes.MapGet("/metrics", (Metrics metrics, BenchmarkScheduler queue, ModelStore store, SensorHub sensors) =>
        {
            var live = new LiveGauges(queue.Waiting, store.List().Sum(m => m.Versions.Count), store.UsedBytes(),
                sensors.CurrentTemperatureCelsius(), (DateTimeOffset.UtcNow - startedUtc).TotalSeconds);
            return Results.Text(metrics.Render(live), "text/plain; version=0.0.4; charset=utf-8");
        });
    }
}
