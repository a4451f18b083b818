using Microsoft.AspNetCore.Http;

namespace OpenChat.Gateway.Edge;

/// <summary>
/// The HTTP API (<c>/api</c>) takes JSON bodies. A request with a body of another declared type is answered
/// <c>415 unsupported_media_type</c> with what to send; a request with no body and no type is read as one with no
/// JSON, so an endpoint whose body is optional (a kick without a reason) answers it rather than routing missing it.
/// </summary>
public sealed class ApiJsonBodies(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/api")) return next(context);
        var hasBody = request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0;
        if (string.IsNullOrEmpty(request.ContentType))
        {
            if (!hasBody) request.ContentType = "application/json";
            return next(context);
        }
        if (!hasBody || IsJson(request.ContentType)) return next(context);
        context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
        return context.Response.WriteAsJsonAsync(new { error = "unsupported_media_type", message = "Send the request body as JSON (Content-Type: application/json)." });
    }

    private static bool IsJson(string contentType)
    {
        var type = contentType.Split(';', 2)[0].Trim();
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }
}
