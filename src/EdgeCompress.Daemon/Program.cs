using EdgeCompress.Daemon.Hosting;

return await EdgedHost.RunAsync(args, Console.Error).ConfigureAwait(false);
