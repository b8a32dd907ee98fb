using EdgeCompress.Cli;

return await EdgecApp.RunAsync(args, Console.Out, Console.Error).ConfigureAwait(false);
