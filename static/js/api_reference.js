// The API reference page: Swagger UI (served by the app) reading the OpenAPI document.
document.addEventListener("DOMContentLoaded", () => {
  const element = document.getElementById("api-reference");
  if (!element || typeof window.SwaggerUIBundle !== "function") return;
  window.SwaggerUIBundle({ url: element.dataset.specUrl, domNode: element, deepLinking: false });
});
