// A request's attributes (src/util/request-attributes.ts) and who asks, as the authorizer
// receives them.

import type { RequestAttributes } from '../../util/request-attributes.js';
import type { UserInfo } from './user.js';

export { requestAttributes, type NonResourceAttributes, type RequestAttributes, type ResourceAttributes } from '../../util/request-attributes.js';

export interface AuthorizationRequest {
  user: UserInfo;
  attributes: RequestAttributes;
}
