using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace OpenChat.Gateway.Edge;

/// <summary>
/// Caps request bodies on the HTTP API (<c>/api</c>) at <see cref="GatewayOptions.MaxApiBodyBytes"/>: a larger one
/// is answered <c>413 payload_too_large</c> before anything parses it. A body without a declared length is read up
/// to the cap and no further. The hub has its own frame limit (<see cref="GatewayOptions.MaxMessageBytes"/>).
/// </summary>
public sealed class ApiBodyLimit(RequestDelegate next, IOptions<GatewayOptions> options)
{
    private readonly long _max = options.Value.MaxApiBodyBytes;

    public async Task InvokeAsync(HttpContext context)
    {
        if (!context.Request.Path.StartsWithSegments("/api"))
        {
            await next(context);
            return;
        }
        var declared = context.Request.ContentLength;
        if (declared > _max)
        {
            await TooLarge(context);
            return;
        }
        if (declared is null && context.Request.Body.CanRead && HasBody(context.Request))
        {
            var buffer = new MemoryStream();
            var chunk = new byte[4096];
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (buffer.Length + read > _max)
                {
                    await TooLarge(context);
                    return;
                }
                buffer.Write(chunk, 0, read);
            }
            buffer.Position = 0;
            context.Request.Body = buffer;
            context.Request.ContentLength = buffer.Length;
        }
        await next(context);
    }

    private static bool HasBody(HttpRequest request) =>
        request.Headers.TransferEncoding.Count > 0 || !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsDelete(request.Method));

    private Task TooLarge(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
        // The rest of the body is not read; close the connection rather than drain it.
        context.Response.Headers.Connection = "close";
        return context.Response.WriteAsJsonAsync(new { error = "payload_too_large", message = $"The request body is larger than {_max} bytes." });
    }
}
