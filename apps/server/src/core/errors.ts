import { BadRequestException, ForbiddenException, GoneException, UnauthorizedException } from '@nestjs/common';

/**
 * Base class of the trust settings' own failures (configuration, keys, ciphertexts). Failures that are
 * the caller's fault extend Nest's HTTP exceptions instead, so any exception filter maps them to the
 * right 4xx without knowing this module.
 */
export class TrustError extends Error {
  override name = 'TrustError';
}

/** A trust setting (auth, secret key) in the environment is malformed; the message names the variable. */
export class TrustConfigError extends TrustError {
  override name = 'TrustConfigError';
}

/** The secret key could not be read, created or is unsafe (e.g. a key file readable by others). */
export class SecretKeyError extends TrustError {
  override name = 'SecretKeyError';
}

/** A stored secret does not decrypt: wrong key, tampered row or a row copied from another endpoint. */
export class SecretDecryptionError extends TrustError {
  override name = 'SecretDecryptionError';
}

/** No or unknown credentials (401). The message never echoes the presented token. */
export class AuthenticationRequiredError extends UnauthorizedException {
  override name = 'AuthenticationRequiredError';
}

/** Valid credentials, but the route needs a role the caller lacks (403). */
export class InsufficientRoleError extends ForbiddenException {
  override name = 'InsufficientRoleError';
}

/** A login-link code that is unknown, already used or expired (410: it will never work again). */
export class LoginLinkUnusableError extends GoneException {
  override name = 'LoginLinkUnusableError';
}

/** A PACS base URL that is not plain http(s) without credentials or fragment (400). */
export class InvalidPacsUrlError extends BadRequestException {
  override name = 'InvalidPacsUrlError';
}
