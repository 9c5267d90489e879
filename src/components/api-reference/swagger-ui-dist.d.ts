// The part of Swagger UI's prebuilt bundle (swagger-ui-dist, which ships no types) the API
// reference page uses.
declare module "swagger-ui-dist/swagger-ui-es-bundle.js" {
  export interface SwaggerUIOptions {
    url: string;
    domNode: HTMLElement;
    deepLinking?: boolean;
    docExpansion?: "list" | "full" | "none";
    defaultModelsExpandDepth?: number;
    displayRequestDuration?: boolean;
    tryItOutEnabled?: boolean;
    onComplete?: () => void;
  }
  export default function SwaggerUIBundle(options: SwaggerUIOptions): unknown;
}
